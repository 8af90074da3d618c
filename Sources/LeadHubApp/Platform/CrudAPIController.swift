import Fluent
import LeadHubCore
import Vapor

/// The five JSON handlers every admin object has (list, show, create, update, delete), over a
/// feature's service. Routes are still declared one by one in `routes.swift`.
struct CrudAPIController<M: TenantOwned, Input: Decodable & Sendable, DTO: Content>: Sendable {
    /// The route parameter holding the object id (e.g. `crm_id`).
    let parameter: String
    let filtered: @Sendable (Request, ListParams, TenantScope) throws -> QueryBuilder<M>
    let create: @Sendable (Input, TenantScope, Date, any Database) async throws -> M
    let update: @Sendable (UUID?, Input, TenantScope, Date, any Database) async throws -> M
    let delete: @Sendable (UUID?, TenantScope, Date, any Database) async throws -> Void
    let dto: @Sendable (M) -> DTO
    /// Work on the input that needs the request (hashing a password off the event loop).
    var prepare: @Sendable (inout Input, Request) async throws -> Void = { _, _ in }
    /// What reading this object needs (users: only admins see the list of users).
    var readPermission: Permission = .read

    @Sendable func index(req: Request) async throws -> ListResponse<DTO> {
        let params = try req.query.decode(ListParams.self)
        let scope = try req.tenantScope()
        try scope.require(readPermission)
        let page = try await filtered(req, params, scope).cursorPage(params)
        return ListResponse(items: page.items.map(dto), nextCursor: page.nextCursor)
    }

    @Sendable func show(req: Request) async throws -> DTO {
        let scope = try req.tenantScope()
        let model = try await scope.find(M.self, req.id(parameter), on: req.db)
        try scope.require(readPermission)
        return dto(model)
    }

    @Sendable func create(req: Request) async throws -> Response {
        var input = try req.content.decode(Input.self)
        try await prepare(&input, req)
        let model = try await create(input, try req.tenantScope(), req.now, req.db)
        return try await dto(model).encodeResponse(status: .created, for: req)
    }

    @Sendable func update(req: Request) async throws -> DTO {
        var input = try req.content.decode(Input.self)
        try await prepare(&input, req)
        return dto(try await update(req.id(parameter), input, try req.tenantScope(), req.now, req.db))
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
        create: CrmService.create, update: CrmService.update, delete: CrmService.delete, dto: CrmDTO.init)

    static let accounts = CrudAPIController<Account, AccountInput, AccountDTO>(
        parameter: "account_id",
        filtered: { req, params, scope in
            var query = AccountService.filtered(params, crmId: req.query["crm_id"], scope: scope, on: req.db)
            if let parent: UUID = req.query["parent_id"] { query = query.filter(\.$parentId == parent) }
            return query
        },
        create: AccountService.create, update: AccountService.update, delete: AccountService.delete,
        dto: AccountDTO.init)

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
