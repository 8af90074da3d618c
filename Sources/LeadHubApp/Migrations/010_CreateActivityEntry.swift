import Fluent
import SQLKit

struct CreateActivityEntry: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("activity_log")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("user_id", .uuid)
            .field("user_email", .string)
            .field("action", .string, .required)
            .field("object_type", .string)
            .field("object_id", .uuid)
            .field("summary", .string, .required)
            .field("ip", .string)
            .field("created_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "activity_log_org_created_idx")
            .on("activity_log").column("organization_id").column("created_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("activity_log").delete()
    }
}
