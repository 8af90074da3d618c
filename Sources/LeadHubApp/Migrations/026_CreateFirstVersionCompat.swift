import Fluent
import SQLKit

/// Taking over from the first version: whether an organization answers the first version's
/// public calls (`v1_compat_enabled`), the first version's form keys (hashed), the map from the
/// first version's ids to LeadHub's (the import's memory, so that a second run creates nothing
/// twice), and the first-version calls counted per Paris day, call and page code.
struct CreateFirstVersionCompat: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("organizations")
            .field("v1_compat_enabled", .bool, .required, .sql(.default(false)))
            .update()
        try await database.schema("v1_form_keys")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("form_id", .uuid, .required, .references("forms", "id", onDelete: .cascade))
            .field("key_hash", .string, .required)
            .field("prefix", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "key_hash")
            .create()
        try await database.schema("v1_id_map")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("collection", .string, .required)
            .field("old_id", .string, .required)
            .field("new_id", .uuid, .required)
            .field("fingerprint", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "organization_id", "collection", "old_id")
            .create()
        try await database.schema("v1_calls")
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("day", .string, .required)
            .field("endpoint", .string, .required)
            .field("page_code", .string, .required)
            .field("calls", .int, .required)
            .field("last_at", .datetime, .required)
            .unique(on: "organization_id", "day", "endpoint", "page_code")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "v1_id_map_new_idx").on("v1_id_map").column("new_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("v1_calls").delete()
        try await database.schema("v1_id_map").delete()
        try await database.schema("v1_form_keys").delete()
        try await database.schema("organizations").deleteField("v1_compat_enabled").update()
    }
}
