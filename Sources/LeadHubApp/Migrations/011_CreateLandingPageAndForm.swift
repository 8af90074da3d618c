import Fluent
import SQLKit

struct CreateLandingPageAndForm: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("forms")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("account_id", .uuid, .required, .references("accounts", "id"))
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("url", .string)
            .field("product_type", .string, .required)
            .field("tracking_type", .string, .required)
            .field("thank_you_url", .string)
            .field("thank_you_redirect", .string)
            .field("exclude_from_routing", .bool, .required)
            .field("metropolitan_only", .bool, .required)
            .field("form_key", .string, .required)
            .field("allowed_origins", .string, .required)
            .field("notes", .string)
            .field("status", .string, .required)
            .field("stats_since", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "organization_id", "code")
            .unique(on: "form_key")
            .create()
        try await database.schema("landing_pages")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("account_id", .uuid, .required, .references("accounts", "id"))
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("url", .string)
            .field("diffusion_source_id", .uuid, .references("diffusion_sources", "id", onDelete: .setNull))
            .field("kind", .string, .required)
            .field("form_id", .uuid, .references("forms", "id", onDelete: .setNull))
            .field("notes", .string)
            .field("status", .string, .required)
            .field("stats_since", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "organization_id", "code")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "forms_account_id_idx").on("forms").column("account_id").run()
        try await sql.create(index: "landing_pages_account_id_idx").on("landing_pages").column("account_id").run()
        try await sql.create(index: "landing_pages_form_id_idx").on("landing_pages").column("form_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("landing_pages").delete()
        try await database.schema("forms").delete()
    }
}
