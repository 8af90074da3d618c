import Fluent
import LeadHubCore
import Vapor

struct UsersPagesController {
    struct Row: Encodable {
        let id: String
        let name: String
        let email: String
        let role: String
        let restricted: Bool
        let active: Bool
        let lastLogin: String
    }

    struct IndexContext: Encodable {
        let rows: [Row]
        let list: ListChrome
    }

    struct FormValues: Encodable {
        var email = ""
        var name = ""
        var role = "viewer"
        var crmIds: [String] = []
        var accountIds: [String] = []
        var active = true
    }

    struct Choice: Encodable {
        let id: String
        let label: String
        let checked: Bool
    }

    struct FormContext: Encodable {
        let isNew: Bool
        let action: String
        let deleteAction: String?
        let values: FormValues
        let errors: FormErrors
        let roles: [SelectOption]
        let crms: [Choice]
        let accounts: [Choice]
    }

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        let column = UserService.sortable[params.sort ?? "name"] ?? "name"
        let (users, window) = try await UserService.filtered(params, scope: scope, on: req.db)
            .sort(FieldKey(stringLiteral: column), params.descending ? .descending : .ascending)
            .numberedPage(params)
        let rows = users.map {
            Row(
                id: $0.id!.uuidString, name: $0.name, email: $0.email, role: $0.role.label,
                restricted: !$0.restriction.isUnrestricted, active: $0.active,
                lastLogin: $0.lastLoginAt.map(FrenchFormat.dateTime) ?? "Jamais")
        }
        let list = ListChrome(
            path: "/users", params: params, window: window,
            columns: [
                ("Nom", "name"), ("E-mail", "email"), ("Rôle", "role"), ("Accès", nil), ("Dernière connexion", nil),
            ],
            currentSort: params.sort ?? "name")
        return try await req.renderPage("users/index", title: "Utilisateurs", IndexContext(rows: rows, list: list))
    }

    @Sendable func new(req: Request) async throws -> Response {
        try req.tenantScope().require(.manageUsers)
        return try await renderForm(req, user: nil, values: FormValues(), errors: nil)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        var input = try decodeForm(req)
        try await UserService.hashPassword(&input, req: req)
        switch try await attempt({ try await UserService.create(input, scope: scope, now: req.now, on: req.db) }) {
        case .success(let user): return req.redirect(to: "/users", flash: "Utilisateur \(user.email) créé.")
        case .failure(let errors): return try await renderForm(req, user: nil, values: values(input), errors: errors)
        }
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        try scope.require(.manageUsers)
        let user = try await scope.find(User.self, req.id("user_id"), on: req.db)
        let values = FormValues(
            email: user.email, name: user.name, role: user.roleRaw, crmIds: user.crmIds.map(\.uuidString),
            accountIds: user.accountIds.map(\.uuidString), active: user.active)
        return try await renderForm(req, user: user, values: values, errors: nil)
    }

    @Sendable func update(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        try scope.require(.manageUsers)
        let user = try await scope.find(User.self, req.id("user_id"), on: req.db)
        var input = try decodeForm(req)
        try await UserService.hashPassword(&input, req: req)
        switch try await attempt({
            try await UserService.update(user.id, input, scope: scope, now: req.now, on: req.db)
        }) {
        case .success(let saved): return req.redirect(to: "/users", flash: "Utilisateur \(saved.email) enregistré.")
        case .failure(let errors): return try await renderForm(req, user: user, values: values(input), errors: errors)
        }
    }

    @Sendable func delete(req: Request) async throws -> Response {
        do {
            try await UserService.delete(req.id("user_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
            return req.redirect(to: "/users", flash: "Utilisateur supprimé.")
        } catch AppError.conflict(_, let message) {
            return req.redirect(to: "/users", flash: message, error: true)
        }
    }

    /// Checkbox lists and the active box are absent from a form post when nothing is ticked.
    private func decodeForm(_ req: Request) throws -> UserInput {
        var input = try req.content.decode(UserInput.self)
        input.crmIds = input.crmIds ?? []
        input.accountIds = input.accountIds ?? []
        input.active = input.active ?? false
        return input
    }

    private func values(_ input: UserInput) -> FormValues {
        FormValues(
            email: input.email ?? "", name: input.name ?? "", role: input.role ?? "", crmIds: input.crmIds ?? [],
            accountIds: input.accountIds ?? [], active: input.active ?? false)
    }

    private func renderForm(_ req: Request, user: User?, values: FormValues, errors: FieldErrors?) async throws
        -> Response
    {
        let scope = try req.tenantScope()
        let crms = try await scope.query(Crm.self, on: req.db).sort(\.$name).all()
        let accounts = try await scope.query(Account.self, on: req.db).sort(\.$name).all()
        let context = FormContext(
            isNew: user == nil,
            action: user.map { "/users/\($0.id!.uuidString)" } ?? "/users",
            deleteAction: user.map { "/users/\($0.id!.uuidString)/delete" },
            values: values, errors: FormErrors(errors),
            roles: Role.allCases.map {
                SelectOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == values.role)
            },
            crms: crms.map {
                Choice(id: $0.id!.uuidString, label: $0.name, checked: values.crmIds.contains($0.id!.uuidString))
            },
            accounts: accounts.map {
                Choice(id: $0.id!.uuidString, label: $0.name, checked: values.accountIds.contains($0.id!.uuidString))
            })
        return try await req.renderPage(
            "users/form", title: user.map { "Utilisateur \($0.email)" } ?? "Nouvel utilisateur", context,
            status: errors == nil ? .ok : .unprocessableEntity)
    }
}
