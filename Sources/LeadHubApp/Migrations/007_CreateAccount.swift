import Fluent
import SQLKit

struct CreateAccount: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("accounts")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("crm_id", .uuid, .required, .references("crms", "id"))
            .field("parent_id", .uuid, .references("accounts", "id"))
            .field("name", .string, .required)
            .field("domain", .string)
            .field("product_types", .string, .required)
            .field("logo_main_url", .string)
            .field("logo_secondary_url", .string)
            .field("logo_small_url", .string)
            .field("favicon_url", .string)
            .field("primary_color", .string)
            .field("secondary_color", .string)
            .field("images", .string, .required)
            .field("privacy_policy", .string)
            .field("legal_mentions", .string)
            .field("cgu", .string)
            .field("gtm_head", .string)
            .field("gtm_cta", .string)
            .field("gtm_conversion", .string)
            .field("redirect_urls", .string, .required)
            .field("default_redirect_url", .string)
            .field("notes", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "accounts_organization_id_idx").on("accounts").column("organization_id").run()
        try await sql.create(index: "accounts_crm_id_idx").on("accounts").column("crm_id").run()
        try await sql.create(index: "accounts_parent_id_idx").on("accounts").column("parent_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("accounts").delete()
    }
}
