import Fluent
import Foundation
import SQLKit

/// A/B campaigns (issue 14): the campaign and its variants, the phases (a weight change starts a
/// new one whose numbers are kept apart), and the visitors' stored assignments.
struct CreateCampaign: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("campaigns")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("account_id", .uuid, .required)
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("mode", .string, .required)
            .field("form_id", .uuid)
            .field("landing_page_id", .uuid)
            .field("status", .string, .required)
            .field("min_days", .int, .required)
            .field("max_days", .int, .required)
            .field("planned_visitors", .int)
            .field("seed", .string, .required)
            .field("phase", .int, .required)
            .field("phase_started_at", .datetime)
            .field("started_at", .datetime)
            .field("stopped_at", .datetime)
            .field("decided_at", .datetime)
            .field("winner_variant_id", .uuid)
            .field("decision_note", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "organization_id", "code")
            .create()
        try await database.schema("campaign_variants")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("campaign_id", .uuid, .required, .references("campaigns", "id", onDelete: .cascade))
            .field("position", .int, .required)
            .field("landing_page_id", .uuid)
            .field("form_id", .uuid)
            .field("weight", .int, .required)
            .unique(on: "campaign_id", "position")
            .create()
        try await database.schema("campaign_phases")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("campaign_id", .uuid, .required, .references("campaigns", "id", onDelete: .cascade))
            .field("number", .int, .required)
            .field("weights", .string, .required)
            .field("started_at", .datetime, .required)
            .field("ended_at", .datetime)
            .unique(on: "campaign_id", "number")
            .create()
        try await database.schema("campaign_assignments")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("campaign_id", .uuid, .required, .references("campaigns", "id", onDelete: .cascade))
            .field("phase", .int, .required)
            .field("visitor_id", .string, .required)
            .field("variant_id", .uuid, .required)
            .field("is_bot", .bool, .required)
            .field("exposures", .int, .required)
            .field("first_seen_at", .datetime, .required)
            .field("last_seen_at", .datetime, .required)
            .field("phase_day", .int, .required)
            .unique(on: "campaign_id", "phase", "visitor_id")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "campaign_assignments_visitor_idx").on("campaign_assignments")
            .column("organization_id").column("visitor_id").run()
        try await sql.create(index: "campaigns_org_lp_idx").on("campaigns").column("organization_id")
            .column("landing_page_id").column("status").run()
    }

    func revert(on database: any Database) async throws {
        for table in ["campaign_assignments", "campaign_phases", "campaign_variants", "campaigns"] {
            try await database.schema(table).delete()
        }
    }
}
