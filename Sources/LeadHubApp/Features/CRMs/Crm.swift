import Fluent
import Foundation

/// A business entity of the organization with its own lead platform (ZR7 Digital, Maison du Lead…).
final class Crm: Model, @unchecked Sendable {
    static let schema = "crms"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "name") var name: String
    @Field(key: "slug") var slug: String
    @OptionalField(key: "api_url") var apiURL: String?
    @OptionalField(key: "description") var details: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}
