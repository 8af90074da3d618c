import Fluent
import SQLKit

struct CreateUser: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("users")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("name", .string, .required)
            .field("password_hash", .string, .required)
            .field("role", .string, .required)
            .field("crm_ids", .string, .required)
            .field("account_ids", .string, .required)
            .field("active", .bool, .required)
            .field("last_login_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "email")
            .create()
        try await (database as! any SQLDatabase).create(index: "users_organization_id_idx")
            .on("users").column("organization_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").delete()
    }
}
