import Fluent
import SQLKit

struct CreateComment: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("comments")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("target_type", .string, .required)
            .field("target_id", .uuid, .required)
            .field("user_id", .uuid)
            .field("user_name", .string, .required)
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "comments_target_idx")
            .on("comments").column("organization_id").column("target_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("comments").delete()
    }
}
