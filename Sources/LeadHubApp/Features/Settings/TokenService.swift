import Fluent
import Foundation
import LeadHubCore
import Vapor

/// Bearer tokens as seen in "Paramètres": each user manages their own; admins see and revoke
/// every token of the organization.
enum TokenService {
    static func visible(scope: TenantScope, on db: any Database) -> QueryBuilder<ApiToken> {
        let query = scope.query(ApiToken.self, on: db)
        return scope.role == .admin ? query : query.filter(\.$userId == scope.userId)
    }

    static func create(name rawName: String?, days: Int?, scope: TenantScope, now: Date, on db: any Database)
        async throws -> (String, ApiToken)
    {
        var errors = FieldErrors()
        let name = Check.requiredText(rawName, field: "name", max: 100, errors: &errors)
        if let days, !(1...3650).contains(days) {
            errors.add("expires_in_days", "Durée invalide : de 1 à 3 650 jours (vide : sans expiration).")
        }
        try errors.throwIfAny()
        guard let user = try await User.find(scope.userId, on: db) else { throw AppError.unauthorized() }
        return try await db.transaction { tx in
            let result = try await AuthService.issueToken(
                for: user, name: name, lifetime: days.map { Double($0) * 86_400 }, now: now, on: tx)
            try await ActivityService.record(
                .tokenCreated, objectType: "api_token", objectId: result.1.id,
                summary: "Jeton API « \(name) » créé (\(result.1.prefix)…)", scope: scope, at: now, on: tx)
            return result
        }
    }

    static func revoke(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws {
        guard let id, let token = try await visible(scope: scope, on: db).filter(\.$id == id).first() else {
            throw AppError.notFound
        }
        guard token.revokedAt == nil else { return }
        token.revokedAt = now
        try await db.transaction { tx in
            try await token.save(on: tx)
            try await ActivityService.record(
                .tokenRevoked, objectType: "api_token", objectId: token.id,
                summary: "Jeton API « \(token.name) » révoqué (\(token.prefix)…)", scope: scope, at: now, on: tx)
        }
    }
}

struct ApiTokenDTO: Content {
    let id: UUID
    let organizationId: UUID
    let userId: UUID
    let name: String
    let prefix: String
    let createdAt: Date
    let expiresAt: Date?
    let lastUsedAt: Date?
    let revokedAt: Date?
    /// Only in the answer that creates the token.
    let token: String?

    enum CodingKeys: String, CodingKey {
        case id, organizationId = "organization_id", userId = "user_id", name, prefix, createdAt = "created_at"
        case expiresAt = "expires_at", lastUsedAt = "last_used_at", revokedAt = "revoked_at", token
    }

    init(_ t: ApiToken, raw: String? = nil) {
        id = t.id!
        organizationId = t.organizationId
        userId = t.userId
        name = t.name
        prefix = t.prefix
        createdAt = t.createdAt
        expiresAt = t.expiresAt
        lastUsedAt = t.lastUsedAt
        revokedAt = t.revokedAt
        token = raw
    }
}

struct TokensAPIController {
    struct CreateBody: Content {
        var name: String?
        var expiresInDays: Int?

        enum CodingKeys: String, CodingKey {
            case name
            case expiresInDays = "expires_in_days"
        }
    }

    @Sendable func index(req: Request) async throws -> ListResponse<ApiTokenDTO> {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        let page = try await TokenService.visible(scope: scope, on: req.db).cursorPage(params)
        return ListResponse(items: page.items.map { ApiTokenDTO($0) }, nextCursor: page.nextCursor)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let body = try req.content.decode(CreateBody.self)
        let (raw, token) = try await TokenService.create(
            name: body.name, days: body.expiresInDays, scope: scope, now: req.now, on: req.db)
        return try await ApiTokenDTO(token, raw: raw).encodeResponse(status: .created, for: req)
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        try await TokenService.revoke(req.id("token_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
        return .noContent
    }
}
