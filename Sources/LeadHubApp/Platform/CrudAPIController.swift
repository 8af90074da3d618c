import Fluent
import LeadHubCore
import Vapor

/// The five JSON handlers every admin object has (list, show, create, update, delete), over a
/// feature's service. Routes are still declared one by one in `routes.swift`.
struct CrudAPIController<M: TenantOwned, Input: Decodable & Sendable, DTO: Content>: Sendable {
    /// The route parameter holding the object id (e.g. `crm_id`).
    let parameter: String
    let filtered: @Sendable (Request, ListParams, TenantScope) async throws -> QueryBuilder<M>
    let create: @Sendable (Input, TenantScope, Date, any Database) async throws -> M
    let update: @Sendable (UUID?, Input, TenantScope, Date, any Database) async throws -> M
    let delete: @Sendable (UUID?, TenantScope, Date, any Database) async throws -> Void
    let dto: @Sendable (M) -> DTO
    /// Work on the input that needs the request (hashing a password off the event loop).
    var prepare: @Sendable (inout Input, Request) async throws -> Void = { _, _ in }
    /// What reading this object needs (users: only admins see the list of users).
    var readPermission: Permission = .read
    /// Builds the DTOs of several models at once, for objects whose JSON needs related rows.
    var presentMany: (@Sendable ([M], Request) async throws -> [DTO])? = nil

    private func present(_ models: [M], _ req: Request) async throws -> [DTO] {
        if let presentMany { return try await presentMany(models, req) }
        return models.map(dto)
    }

    private func present(_ model: M, _ req: Request) async throws -> DTO {
        try await present([model], req)[0]
    }

    @Sendable func index(req: Request) async throws -> ListResponse<DTO> {
        let params = try req.query.decode(ListParams.self)
        let scope = try req.tenantScope()
        try scope.require(readPermission)
        let page = try await filtered(req, params, scope).cursorPage(params)
        return ListResponse(items: try await present(page.items, req), nextCursor: page.nextCursor)
    }

    @Sendable func show(req: Request) async throws -> DTO {
        let scope = try req.tenantScope()
        let model = try await scope.find(M.self, req.id(parameter), on: req.db)
        try scope.require(readPermission)
        return try await present(model, req)
    }

    @Sendable func create(req: Request) async throws -> Response {
        var input = try req.content.decode(Input.self)
        try await prepare(&input, req)
        let model = try await create(input, try req.tenantScope(), req.now, req.db)
        return try await present(model, req).encodeResponse(status: .created, for: req)
    }

    @Sendable func update(req: Request) async throws -> DTO {
        var input = try req.content.decode(Input.self)
        try await prepare(&input, req)
        return try await present(
            try await update(req.id(parameter), input, try req.tenantScope(), req.now, req.db), req)
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        try await delete(req.id(parameter), try req.tenantScope(), req.now, req.db)
        return .noContent
    }
}

enum AdminAPI {
    static let crms = CrudAPIController<Crm, CrmInput, CrmDTO>(
        parameter: "crm_id",
        filtered: { req, params, scope in CrmService.filtered(params, scope: scope, on: req.db) },
        create: CrmService.create, update: CrmService.update, delete: CrmService.delete,
        dto: { CrmDTO($0, secrets: nil) },
        prepare: { input, req in input.secrets = req.application.secretBox },
        presentMany: { crms, req in crms.map { CrmDTO($0, secrets: req.application.secretBox) } })

    static let accounts = CrudAPIController<Account, AccountInput, AccountDTO>(
        parameter: "account_id",
        filtered: { req, params, scope in
            var query = AccountService.filtered(params, crmId: req.query["crm_id"], scope: scope, on: req.db)
            if let parent: UUID = req.query["parent_id"] { query = query.filter(\.$parentId == parent) }
            return query
        },
        create: AccountService.create, update: AccountService.update, delete: AccountService.delete,
        dto: { AccountDTO($0) },
        prepare: { input, req in input.secrets = req.application.secretBox },
        presentMany: { accounts, req in accounts.map { AccountDTO($0, secrets: req.application.secretBox) } })

    static let diffusionSources = CrudAPIController<DiffusionSource, DiffusionSourceInput, DiffusionSourceDTO>(
        parameter: "source_id",
        filtered: { req, params, scope in DiffusionSourceService.filtered(params, scope: scope, on: req.db) },
        create: DiffusionSourceService.create, update: DiffusionSourceService.update,
        delete: DiffusionSourceService.delete, dto: DiffusionSourceDTO.init)

    static let productTypes = CrudAPIController<ProductType, ProductTypeInput, ProductTypeDTO>(
        parameter: "product_type_id",
        filtered: { req, params, scope in ProductTypeService.filtered(params, scope: scope, on: req.db) },
        create: ProductTypeService.create, update: ProductTypeService.update, delete: ProductTypeService.delete,
        dto: ProductTypeDTO.init)

    static let users = CrudAPIController<User, UserInput, UserDTO>(
        parameter: "user_id",
        filtered: { req, params, scope in try UserService.filtered(params, scope: scope, on: req.db) },
        create: UserService.create, update: UserService.update, delete: UserService.delete, dto: UserDTO.init,
        prepare: UserService.hashPassword, readPermission: .manageUsers)
}

extension AdminAPI {
    static let forms = CrudAPIController<Form, FormInput, FormDTO>(
        parameter: "form_id",
        filtered: { req, params, scope in
            try await FormService.filtered(
                params, filters: try req.query.decode(FormService.Filters.self), scope: scope, on: req.db)
        },
        create: FormService.create, update: FormService.update, delete: FormService.delete, dto: { FormDTO($0) },
        prepare: { input, req in input.secrets = req.application.secretBox },
        presentMany: { forms, req in
            let ids = forms.compactMap(\.id)
            let pages = try await req.tenantScope().query(LandingPage.self, on: req.db).filter(\.$formId ~~ ids).all()
            return forms.map { form in
                FormDTO(form, landingPageIds: pages.filter { $0.formId == form.id }.compactMap(\.id))
            }
        })

    static let landingPages = CrudAPIController<LandingPage, LandingPageInput, LandingPageDTO>(
        parameter: "landing_page_id",
        filtered: { req, params, scope in
            try await LandingPageService.filtered(
                params, filters: try req.query.decode(LandingPageService.Filters.self), scope: scope, on: req.db)
        },
        create: LandingPageService.create, update: LandingPageService.update, delete: LandingPageService.delete,
        dto: { LandingPageDTO($0) },
        presentMany: { pages, req in
            let formIds = pages.compactMap(\.formId)
            let forms = try await req.tenantScope().query(Form.self, on: req.db).filter(\.$id ~~ formIds).all()
            return pages.map { page in LandingPageDTO(page, formURL: forms.first { $0.id == page.formId }?.url) }
        })
}
