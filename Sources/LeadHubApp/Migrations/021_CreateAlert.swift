import Fluent
import SQLKit

/// System alerts: one open row per condition (`key`), counted while it lasts, resolved
/// automatically when it clears or by a person.
struct CreateAlert: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("alerts")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("key", .string, .required)
            .field("level", .string, .required)
            .field("category", .string, .required)
            .field("message", .string, .required)
            .field("details", .string, .required)
            .field("first_seen_at", .datetime, .required)
            .field("last_seen_at", .datetime, .required)
            .field("count", .int, .required)
            .field("resolved_at", .datetime)
            .field("resolved_by", .string)
            .create()
        try await (database as! any SQLDatabase).create(index: "alerts_org_open_idx").on("alerts")
            .column("organization_id").column("resolved_at").column("key").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("alerts").delete()
    }
}
