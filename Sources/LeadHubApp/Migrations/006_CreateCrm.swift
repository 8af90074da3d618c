import Fluent

struct CreateCrm: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("crms")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("slug", .string, .required)
            .field("api_url", .string)
            .field("description", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            // Also serves as the organization_id index (leftmost column).
            .unique(on: "organization_id", "slug")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("crms").delete()
    }
}
