import Fluent
import LeadHubCore
import Vapor

struct CrmsPagesController {
    struct Row: Encodable {
        let id: String
        let name: String
        let slug: String
        let apiURL: String?
        let accounts: Int
    }

    struct IndexContext: Encodable {
        let rows: [Row]
        let list: ListChrome
        let canManage: Bool
    }

    struct FormValues: Encodable {
        var name = ""
        var slug = ""
        var apiURL = ""
        var description = ""
    }

    struct FormContext: Encodable {
        let isNew: Bool
        let action: String
        let deleteAction: String?
        let routingAction: String?
        let values: FormValues
        let errors: FormErrors
        let canManage: Bool
    }

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        let (crms, window) = try await CrmService.sorted(params, scope: scope, on: req.db).numberedPage(params)
        var rows: [Row] = []
        for crm in crms {
            let accounts = try await scope.query(Account.self, on: req.db).filter(\.$crmId == crm.requireID()).count()
            rows.append(
                Row(id: crm.id!.uuidString, name: crm.name, slug: crm.slug, apiURL: crm.apiURL, accounts: accounts))
        }
        let list = ListChrome(
            path: "/crms", params: params, window: window,
            columns: [("Nom", "name"), ("Identifiant", "slug"), ("URL de l'API", nil), ("Comptes", nil)],
            currentSort: params.sort ?? "name")
        return try await req.renderPage(
            "crms/index", title: "CRMs", IndexContext(rows: rows, list: list, canManage: scope.role.allows(.manageCrms))
        )
    }

    @Sendable func new(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        try scope.require(.manageCrms)
        return try await renderForm(req, crm: nil, values: FormValues(), errors: nil)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let input = try req.content.decode(CrmInput.self)
        switch try await attempt({ try await CrmService.create(input, scope: scope, now: req.now, on: req.db) }) {
        case .success(let crm): return req.redirect(to: "/crms", flash: "CRM « \(crm.name) » créé.")
        case .failure(let errors): return try await renderForm(req, crm: nil, values: values(input), errors: errors)
        }
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let crm = try await scope.find(Crm.self, req.id("crm_id"), on: req.db)
        let values = FormValues(
            name: crm.name, slug: crm.slug, apiURL: crm.apiURL ?? "", description: crm.details ?? "")
        return try await renderForm(req, crm: crm, values: values, errors: nil)
    }

    @Sendable func update(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let crm = try await scope.find(Crm.self, req.id("crm_id"), on: req.db)
        let input = try req.content.decode(CrmInput.self)
        switch try await attempt({ try await CrmService.update(crm.id, input, scope: scope, now: req.now, on: req.db) })
        {
        case .success(let saved): return req.redirect(to: "/crms", flash: "CRM « \(saved.name) » enregistré.")
        case .failure(let errors): return try await renderForm(req, crm: crm, values: values(input), errors: errors)
        }
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        do {
            try await CrmService.delete(req.id("crm_id"), scope: scope, now: req.now, on: req.db)
            return req.redirect(to: "/crms", flash: "CRM supprimé.")
        } catch AppError.conflict(_, let message) {
            return req.redirect(to: "/crms", flash: message, error: true)
        }
    }

    private func values(_ input: CrmInput) -> FormValues {
        FormValues(
            name: input.name ?? "", slug: input.slug ?? "", apiURL: input.apiURL ?? "",
            description: input.description ?? "")
    }

    private func renderForm(_ req: Request, crm: Crm?, values: FormValues, errors: FieldErrors?) async throws
        -> Response
    {
        let scope = try req.tenantScope()
        let context = FormContext(
            isNew: crm == nil,
            action: crm.map { "/crms/\($0.id!.uuidString)" } ?? "/crms",
            deleteAction: crm.map { "/crms/\($0.id!.uuidString)/delete" },
            routingAction: crm.map { "/crms/\($0.id!.uuidString)/routing" },
            values: values, errors: FormErrors(errors), canManage: scope.role.allows(.manageCrms))
        return try await req.renderPage(
            "crms/form", title: crm.map { "CRM « \($0.name) »" } ?? "Nouveau CRM", context,
            status: errors == nil ? .ok : .unprocessableEntity)
    }
}
