import Fluent

struct CreateDiffusionSource: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("diffusion_sources")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("category", .string, .required)
            .field("active", .bool, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "organization_id", "name")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("diffusion_sources").delete()
    }
}
