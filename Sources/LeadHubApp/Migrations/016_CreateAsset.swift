import Fluent
import SQLKit

struct CreateAsset: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("assets")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("account_id", .uuid, .references("accounts", "id", onDelete: .setNull))
            .field("label", .string, .required)
            .field("kind", .string, .required)
            .field("format", .string, .required)
            .field("byte_size", .int, .required)
            .field("sha256", .string, .required)
            .field("original_name", .string)
            .field("created_by", .string)
            .field("created_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "assets_org_idx")
            .on("assets").column("organization_id").column("created_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("assets").delete()
    }
}
