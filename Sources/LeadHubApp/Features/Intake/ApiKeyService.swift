import Fluent
import Foundation
import LeadHubCore
import Vapor

/// Organization API keys ("Landbot-style", `Authorization: Token <key>`): permanent until an admin
/// revokes one explicitly. Shown in full once; stored as SHA-256 with a display prefix.
enum ApiKeyService {
    static let keyPrefix = "lhk_"

    static func list(scope: TenantScope, on db: any Database) async throws -> [OrganizationApiKey] {
        try scope.require(.manageOrganization)
        return try await scope.query(OrganizationApiKey.self, on: db).sort(\.$createdAt, .descending).all()
    }

    static func create(name raw: String?, scope: TenantScope, now: Date, on db: any Database) async throws
        -> (String, OrganizationApiKey)
    {
        try scope.require(.manageOrganization)
        var errors = FieldErrors()
        let name = Check.requiredText(raw, field: "name", max: 100, errors: &errors)
        try errors.throwIfAny()
        let rawKey = Secrets.token(prefix: keyPrefix, bytes: 32)
        let key = OrganizationApiKey()
        key.organizationId = scope.organizationId
        key.name = name
        key.keyHash = Secrets.sha256Hex(rawKey)
        key.prefix = String(rawKey.prefix(12))
        key.createdBy = scope.userEmail
        key.createdAt = now
        try await db.transaction { tx in
            try await key.create(on: tx)
            try await ActivityService.record(
                .tokenCreated, objectType: "api_key", objectId: key.id,
                summary: "Clé API d'organisation « \(name) » créée (\(key.prefix)…)", scope: scope, at: now, on: tx)
        }
        return (rawKey, key)
    }

    static func revoke(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws
        -> OrganizationApiKey
    {
        let key = try await scope.find(OrganizationApiKey.self, id, on: db)
        try scope.require(.manageOrganization)
        if key.revokedAt == nil {
            key.revokedAt = now
            try await db.transaction { tx in
                try await key.save(on: tx)
                try await ActivityService.record(
                    .tokenRevoked, objectType: "api_key", objectId: key.id,
                    summary: "Clé API d'organisation « \(key.name) » révoquée (\(key.prefix)…)", scope: scope, at: now,
                    on: tx)
            }
        }
        return key
    }
}

struct ApiKeyDTO: Content {
    let id: UUID
    let organizationId: UUID
    let name: String
    let prefix: String
    let createdBy: String?
    let createdAt: Date
    let lastUsedAt: Date?
    let revokedAt: Date?
    /// Only in the answer that creates the key.
    let key: String?

    enum CodingKeys: String, CodingKey {
        case id, organizationId = "organization_id", name, prefix, createdBy = "created_by", createdAt = "created_at"
        case lastUsedAt = "last_used_at", revokedAt = "revoked_at", key
    }

    init(_ k: OrganizationApiKey, raw: String? = nil) {
        id = k.id!
        organizationId = k.organizationId
        name = k.name
        prefix = k.prefix
        createdBy = k.createdBy
        createdAt = k.createdAt
        lastUsedAt = k.lastUsedAt
        revokedAt = k.revokedAt
        key = raw
    }
}

struct ApiKeysAPIController {
    struct CreateBody: Content { var name: String? }

    @Sendable func index(req: Request) async throws -> ListResponse<ApiKeyDTO> {
        let keys = try await ApiKeyService.list(scope: try req.tenantScope(), on: req.db)
        return ListResponse(items: keys.map { ApiKeyDTO($0) }, nextCursor: nil)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let body = try req.content.decode(CreateBody.self)
        let (raw, key) = try await ApiKeyService.create(
            name: body.name, scope: try req.tenantScope(), now: req.now, on: req.db)
        return try await ApiKeyDTO(key, raw: raw).encodeResponse(status: .created, for: req)
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        _ = try await ApiKeyService.revoke(req.id("api_key_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
        return .noContent
    }
}
