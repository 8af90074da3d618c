import Fluent
import Foundation

/// The tenant. Every other tenant-owned row points to one.
final class Organization: Model, @unchecked Sendable {
    static let schema = "organizations"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Field(key: "slug") var slug: String
    /// nil: duplicates are counted on the same calendar day (Paris); else a sliding window in hours.
    @OptionalField(key: "duplicate_window_hours") var duplicateWindowHours: Int?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, name: String, slug: String) {
        self.id = id
        self.name = name
        self.slug = slug
    }
}
