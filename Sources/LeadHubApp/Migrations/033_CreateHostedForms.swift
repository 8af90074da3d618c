import Fluent
import Foundation
import SQLKit

/// Hosted forms (issue 15): a form can be served by LeadHub from a versioned definition. The
/// form keeps its draft; each publication is an immutable version; every walk through the form
/// is a form session (partial answers, never delivered); the partners named in the consent
/// block are versioned per organization; `form_step` events name their screen.
struct CreateHostedForms: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // "external" (built by a developer from the brief, the default) or "hosted".
        try await database.schema("forms").field("hosting", .string).update()
        try await database.schema("forms").field("draft_definition", .string).update()
        try await database.schema("forms").field("published_version", .int).update()
        try await database.schema("tracking_events").field("step_id", .string).update()

        try await database.schema("hosted_form_versions")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("form_id", .uuid, .required, .references("forms", "id", onDelete: .cascade))
            .field("version", .int, .required)
            .field("definition", .string, .required)
            .field("published_by", .uuid)
            .field("published_at", .datetime, .required)
            .unique(on: "form_id", "version")
            .create()

        try await database.schema("form_sessions")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("form_id", .uuid, .required, .references("forms", "id", onDelete: .cascade))
            .field("version", .int, .required)
            .field("token", .string, .required)
            .field("status", .string, .required)
            .field("answers", .string, .required)
            .field("current_step", .string, .required)
            .field("furthest_position", .int, .required)
            .field("hidden", .string, .required)
            .field("visitor_id", .string)
            .field("session_id", .string)
            .field("lp_code", .string)
            .field("lead_id", .uuid)
            .field("started_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("ended_at", .datetime)
            .unique(on: "token")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "form_sessions_form_idx").on("form_sessions")
            .column("organization_id").column("form_id").column("started_at").run()
        try await sql.create(index: "form_sessions_updated_idx").on("form_sessions").column("updated_at").run()

        try await database.schema("consent_partner_lists")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("version", .int, .required)
            .field("partners", .string, .required)
            .field("created_by", .uuid)
            .field("created_at", .datetime, .required)
            .unique(on: "organization_id", "version")
            .create()
    }

    func revert(on database: any Database) async throws {
        for table in ["consent_partner_lists", "form_sessions", "hosted_form_versions"] {
            try await database.schema(table).delete()
        }
        try await database.schema("tracking_events").deleteField("step_id").update()
        for field in ["published_version", "draft_definition", "hosting"] {
            try await database.schema("forms").deleteField(FieldKey(stringLiteral: field)).update()
        }
    }
}
