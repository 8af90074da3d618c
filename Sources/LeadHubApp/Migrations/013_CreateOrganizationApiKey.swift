import Fluent

struct CreateOrganizationApiKey: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("organization_api_keys")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("key_hash", .string, .required)
            .field("prefix", .string, .required)
            .field("created_by", .string)
            .field("created_at", .datetime, .required)
            .field("last_used_at", .datetime)
            .field("revoked_at", .datetime)
            .unique(on: "key_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("organization_api_keys").delete()
    }
}
