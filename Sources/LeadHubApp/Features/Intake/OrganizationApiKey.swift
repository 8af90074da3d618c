import Fluent
import Foundation

/// A permanent organization key for partners' servers (`Authorization: Token <key>`), stored hashed.
final class OrganizationApiKey: Model, @unchecked Sendable {
    static let schema = "organization_api_keys"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "name") var name: String
    @Field(key: "key_hash") var keyHash: String
    @Field(key: "prefix") var prefix: String
    @OptionalField(key: "created_by") var createdBy: String?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}
}
