import Fluent
import SQLKit

/// Tracking and analytics: the raw events of the tracking script (`tracking_events`), and the
/// aggregates every dashboard query reads instead of raw rows — counts per hour and per
/// LP/form/account/CRM/diffusion source/product (`stats_hourly`), and leads per Paris day and
/// département (`stats_daily_departements`). Dimensions are text with '' for "none" so that the
/// upserts' conflict targets match (NULLs never conflict).
struct CreateTracking: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await database.schema("tracking_events")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("type", .string, .required)
            .field("lp_id", .uuid)
            .field("form_id", .uuid)
            .field("visitor_id", .string)
            .field("session_id", .string)
            .field("url", .string)
            .field("referrer", .string)
            .field("utm_source", .string)
            .field("utm_medium", .string)
            .field("utm_campaign", .string)
            .field("utm_content", .string)
            .field("utm_term", .string)
            .field("gclid", .string)
            .field("fbclid", .string)
            .field("step", .int)
            .field("created_at", .datetime, .required)
            .create()
        // "Vérifier l'intégration": the last events of one LP or form.
        try await sql.create(index: "tracking_events_lp_idx").on("tracking_events").column("lp_id").column("created_at")
            .run()
        try await sql.create(index: "tracking_events_form_idx").on("tracking_events").column("form_id").column(
            "created_at"
        ).run()
        try await sql.create(index: "tracking_events_org_idx").on("tracking_events")
            .column("organization_id").column("created_at").run()

        var hourly = database.schema("stats_hourly")
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("hour", .int64, .required)
        // Spelled out: a landed migration never reads a runtime constant (later dimensions are new migrations).
        let hourlyDimensions = ["lp_id", "form_id", "account_id", "crm_id", "source_id", "product_type"]
        let hourlyMeasures = ["visits", "cta_clicks", "form_starts", "form_steps", "leads", "duplicates", "delivered"]
        let dailyDimensions = ["departement", "account_id", "crm_id", "product_type"]
        let dailyMeasures = ["leads", "delivered"]
        for dimension in hourlyDimensions {
            hourly = hourly.field(.string(dimension), .string, .required, .sql(.default("")))
        }
        for measure in hourlyMeasures { hourly = hourly.field(.string(measure), .int64, .required, .sql(.default(0))) }
        try await hourly.constraint(
            .constraint(
                .unique(fields: (["organization_id", "hour"] + hourlyDimensions).map { .key(.string($0)) }), name: nil)
        ).create()

        var daily = database.schema("stats_daily_departements")
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("day", .int64, .required)
        for dimension in dailyDimensions {
            daily = daily.field(.string(dimension), .string, .required, .sql(.default("")))
        }
        for measure in dailyMeasures { daily = daily.field(.string(measure), .int64, .required, .sql(.default(0))) }
        try await daily.constraint(
            .constraint(
                .unique(fields: (["organization_id", "day"] + dailyDimensions).map { .key(.string($0)) }), name: nil)
        ).create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("stats_daily_departements").delete()
        try await database.schema("stats_hourly").delete()
        try await database.schema("tracking_events").delete()
    }
}
