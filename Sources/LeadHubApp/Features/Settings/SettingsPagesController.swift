import Fluent
import LeadHubCore
import Vapor

/// "Paramètres": the organization, the user's profile and password, and API tokens.
struct SettingsPagesController {
    struct TokenRow: Encodable {
        let id: String
        let name: String
        let prefix: String
        let owner: String
        let created: String
        let expires: String
        let lastUsed: String
        let revoked: Bool
    }

    struct Context: Encodable {
        let organizationName: String
        let organizationId: String
        let userName: String
        let userEmail: String
        let roleLabel: String
        let tokens: [TokenRow]
        let newToken: String?
        let tokenErrors: FormErrors
        let passwordErrors: FormErrors
        let tokenName: String
        let canManageKeys: Bool
        let duplicateWindowHours: String
        let intake: OrganizationSettings.DTO
        let trackingId: String
        let notifications: NotificationService.DTO?
        let apiKeys: [KeyRow]
        let newApiKey: String?
        let apiKeyErrors: FormErrors
        /// Admins: the first version's calls still received (shown once imported or called).
        let firstVersion: FirstVersionUsage?
    }

    struct FirstVersionUsage: Encodable {
        let enabled: Bool
        let totalCalls: String
        let pageCount: Int
        let pages: [FirstVersionPage]
    }

    struct FirstVersionPage: Encodable {
        let label: String
        let pageCode: String
        let calls: String
        let last: String
    }

    struct KeyRow: Encodable {
        let id: String
        let name: String
        let prefix: String
        let createdBy: String
        let created: String
        let lastUsed: String
        let revoked: String?
    }

    struct KeyForm: Content { var name: String? }

    @Sendable func createApiKey(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try req.content.decode(KeyForm.self)
        switch try await attempt({
            try await ApiKeyService.create(name: form.name, scope: scope, now: req.now, on: req.db)
        }) {
        case .success(let (raw, _)): return try await render(req, newApiKey: raw)
        case .failure(let errors): return try await render(req, apiKeyErrors: errors)
        }
    }

    @Sendable func revokeApiKey(req: Request) async throws -> Response {
        let key = try await ApiKeyService.revoke(
            req.id("api_key_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
        return req.redirect(to: "/settings#cles-api", flash: "Clé « \(key.name) » révoquée.")
    }

    struct TokenForm: Content {
        var name: String?
        var expiresInDays: String?

        enum CodingKeys: String, CodingKey {
            case name
            case expiresInDays = "expires_in_days"
        }
    }

    struct PasswordForm: Content {
        var currentPassword: String?
        var newPassword: String?
        var confirmation: String?

        enum CodingKeys: String, CodingKey {
            case currentPassword = "current_password", newPassword = "new_password", confirmation
        }
    }

    @Sendable func index(req: Request) async throws -> Response {
        try await render(req)
    }

    @Sendable func createToken(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try req.content.decode(TokenForm.self)
        let daysText = form.expiresInDays?.trimmingCharacters(in: .whitespaces) ?? ""
        var days: Int? = nil
        if !daysText.isEmpty {
            guard let parsed = Int(daysText) else {
                return try await render(
                    req, tokenErrors: FieldErrors(["expires_in_days": ["Nombre de jours invalide."]]),
                    tokenName: form.name ?? "")
            }
            days = parsed
        }
        switch try await attempt({
            try await TokenService.create(name: form.name, days: days, scope: scope, now: req.now, on: req.db)
        }) {
        case .success(let (raw, _)): return try await render(req, newToken: raw)
        case .failure(let errors): return try await render(req, tokenErrors: errors, tokenName: form.name ?? "")
        }
    }

    @Sendable func revokeToken(req: Request) async throws -> Response {
        try await TokenService.revoke(req.id("token_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
        return req.redirect(to: "/settings", flash: "Jeton révoqué.")
    }

    @Sendable func changePassword(req: Request) async throws -> Response {
        guard let identity = req.identity else { throw AppError.unauthorized() }
        let form = try req.content.decode(PasswordForm.self)
        var errors = FieldErrors()
        let current = try await req.password.async.verify(
            form.currentPassword ?? "", created: identity.user.passwordHash
        )
        .get()
        if !current { errors.add("current_password", "Mot de passe actuel incorrect.") }
        PasswordPolicy.check(form.newPassword, field: "new_password", errors: &errors)
        if form.newPassword != form.confirmation {
            errors.add("confirmation", "La confirmation ne correspond pas au nouveau mot de passe.")
        }
        guard errors.isEmpty else { return try await render(req, passwordErrors: errors) }
        let user = identity.user
        user.passwordHash = try await req.password.async.hash(form.newPassword!).get()
        let keep = identity.session?.id ?? UUID()
        let scope = identity.scope
        let now = req.now
        try await req.db.transaction { tx in
            try await user.save(on: tx)
            // Other sessions of this user end; this one stays open.
            try await UserSession.query(on: tx).filter(\.$userId == user.requireID()).filter(\.$id != keep).delete()
            try await ActivityService.record(
                .passwordChanged, objectType: "user", objectId: user.id,
                summary: "Mot de passe changé par \(user.email)", scope: scope, at: now, on: tx)
        }
        return req.redirect(to: "/settings", flash: "Mot de passe changé.")
    }

    private func render(
        _ req: Request, newToken: String? = nil, tokenErrors: FieldErrors? = nil, passwordErrors: FieldErrors? = nil,
        tokenName: String = "", newApiKey: String? = nil, apiKeyErrors: FieldErrors? = nil
    ) async throws -> Response {
        guard let identity = req.identity else { throw AppError.unauthorized() }
        let scope = identity.scope
        guard let organization = try await Organization.find(scope.organizationId, on: req.db) else {
            throw AppError.notFound
        }
        let tokens = try await TokenService.visible(scope: scope, on: req.db).sort(\.$createdAt, .descending).all()
        let owners = try await scope.query(User.self, on: req.db).filter(\.$id ~~ tokens.map(\.userId)).all()
        let ownerEmails = Dictionary(uniqueKeysWithValues: owners.map { ($0.id!, $0.email) })
        let rows = tokens.map { token in
            TokenRow(
                id: token.id!.uuidString, name: token.name, prefix: token.prefix,
                owner: ownerEmails[token.userId] ?? "—", created: FrenchFormat.dateTime(token.createdAt),
                expires: token.expiresAt.map(FrenchFormat.dateTime) ?? "Jamais",
                lastUsed: token.lastUsedAt.map(FrenchFormat.dateTime) ?? "Jamais", revoked: token.revokedAt != nil)
        }
        let canManageKeys = scope.role.allows(.manageOrganization)
        let keys = canManageKeys ? try await ApiKeyService.list(scope: scope, on: req.db) : []
        var firstVersion: FirstVersionUsage? = nil
        if canManageKeys {
            let usage = try await V1CompatService.usage(scope: scope, now: req.now, on: req.db)
            if usage.enabled || usage.totalCalls > 0 {
                firstVersion = FirstVersionUsage(
                    enabled: usage.enabled, totalCalls: FrenchFormat.integer(usage.totalCalls),
                    pageCount: Set(usage.pages.map(\.pageCode)).count,
                    pages: usage.pages.map {
                        FirstVersionPage(
                            label: $0.label, pageCode: $0.pageCode.isEmpty ? "—" : $0.pageCode,
                            calls: FrenchFormat.integer($0.calls), last: FrenchFormat.dateTime($0.lastAt))
                    })
            }
        }
        let context = Context(
            organizationName: organization.name, organizationId: organization.id!.uuidString,
            userName: identity.user.name, userEmail: identity.user.email, roleLabel: identity.user.role.label,
            tokens: rows, newToken: newToken, tokenErrors: FormErrors(tokenErrors),
            passwordErrors: FormErrors(passwordErrors), tokenName: tokenName, canManageKeys: canManageKeys,
            duplicateWindowHours: organization.duplicateWindowHours.map(String.init) ?? "",
            intake: OrganizationSettings.dto(organization),
            trackingId: organization.slug,
            notifications: scope.role.allows(.manageOrganization)
                ? NotificationService.dto(organization, secrets: req.application.secretBox) : nil,
            apiKeys: keys.map { key in
                KeyRow(
                    id: key.id!.uuidString, name: key.name, prefix: key.prefix, createdBy: key.createdBy ?? "—",
                    created: FrenchFormat.dateTime(key.createdAt),
                    lastUsed: key.lastUsedAt.map(FrenchFormat.dateTime) ?? "Jamais",
                    revoked: key.revokedAt.map(FrenchFormat.dateTime))
            },
            newApiKey: newApiKey, apiKeyErrors: FormErrors(apiKeyErrors), firstVersion: firstVersion)
        let failed = tokenErrors != nil || passwordErrors != nil || apiKeyErrors != nil
        return try await req.renderPage(
            "settings/index", title: "Paramètres", context, status: failed ? .unprocessableEntity : .ok)
    }
}
