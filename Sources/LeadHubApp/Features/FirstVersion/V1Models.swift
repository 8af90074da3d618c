import Fluent
import Foundation

/// A first-version form key (`internal_api_key`, the `api_key` of `/api/submit-lead` bodies),
/// kept by the import so that deployed pages go on working; stored as SHA-256 like every key.
final class V1FormKey: Model, @unchecked Sendable {
    static let schema = "v1_form_keys"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "form_id") var formId: UUID
    @Field(key: "key_hash") var keyHash: String
    @Field(key: "prefix") var prefix: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// One first-version document imported: its collection, its old id, the LeadHub row it became,
/// and a fingerprint of what was imported (a second run updates only what changed).
final class V1IdLink: Model, @unchecked Sendable {
    static let schema = "v1_id_map"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "collection") var collection: String
    @Field(key: "old_id") var oldId: String
    @Field(key: "new_id") var newId: UUID
    @Field(key: "fingerprint") var fingerprint: String
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

extension V1FormKey: TenantOwned {}
extension V1IdLink: TenantOwned {}
