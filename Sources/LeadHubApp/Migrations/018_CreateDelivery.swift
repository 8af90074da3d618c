import Fluent
import SQLKit

/// Routing and delivery: what each CRM buys and how to reach it, the partner tokens of accounts
/// and forms (encrypted), the routing decision stored on each lead, the outbox (`deliveries`),
/// each attempt, and the counters that quotas and inter-CRM limits are checked against.
struct CreateDelivery: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // SQLite adds one column per ALTER TABLE.
        let columns: [(String, String, DatabaseSchema.DataType, [DatabaseSchema.FieldConstraint])] = [
            ("crms", "delivery_kind", .string, [.required, .sql(.default("zr7"))]),
            ("crms", "orders", .string, []),
            ("crms", "lead_prices", .string, []),
            ("crms", "routing_limits", .string, []),
            ("crms", "redistribution_tokens", .string, []),
            ("crms", "field_mapping", .string, []),
            ("crms", "webhook_headers", .string, []),
            ("crms", "webhook_secret", .string, []),
            ("accounts", "crm_tokens", .string, []),
            ("forms", "crm_token", .string, []),
            ("leads", "routed_crm_id", .uuid, []),
            ("leads", "routing_reason", .string, []),
            ("leads", "routing_explanation", .string, []),
            ("leads", "rerouted", .bool, [.required, .sql(.default(false))]),
            ("leads", "unit_price_cents", .int, []),
        ]
        for (table, column, type, constraints) in columns {
            var update = database.schema(table)
            update.schema.createFields.append(
                .definition(name: .key(FieldKey(stringLiteral: column)), dataType: type, constraints: constraints))
            try await update.update()
        }

        let sql = database as! any SQLDatabase
        try await database.schema("deliveries")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("lead_id", .uuid, .required)
            .field("crm_id", .uuid)
            .field("product_type", .string, .required)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime)
            .field("lease_owner", .string)
            .field("lease_until", .datetime)
            .field("last_error", .string)
            .field("last_status_code", .int)
            .field("delivered_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        // The workers' claim: due deliveries, oldest first.
        try await sql.create(index: "deliveries_due_idx").on("deliveries").column("status").column("next_attempt_at")
            .run()
        try await sql.create(index: "deliveries_lead_idx").on("deliveries").column("lead_id").run()
        try await sql.create(index: "deliveries_org_crm_idx").on("deliveries")
            .column("organization_id").column("crm_id").column("status").run()

        try await database.schema("delivery_attempts")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("delivery_id", .uuid, .required)
            .field("lead_id", .uuid, .required)
            .field("crm_id", .uuid, .required)
            .field("started_at", .datetime, .required)
            .field("duration_ms", .int, .required)
            .field("http_status", .int)
            .field("outcome", .string, .required)
            .field("excerpt", .string)
            .create()
        try await sql.create(index: "delivery_attempts_delivery_idx").on("delivery_attempts")
            .column("delivery_id").column("started_at").run()
        try await sql.create(index: "delivery_attempts_crm_idx").on("delivery_attempts")
            .column("crm_id").column("started_at").run()

        try await database.schema("routing_counters")
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("crm_id", .uuid, .required)
            .field("product_type", .string, .required)
            .field("period", .string, .required)
            .field("count", .int, .required)
            .unique(on: "organization_id", "crm_id", "product_type", "period")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("routing_counters").delete()
        try await database.schema("delivery_attempts").delete()
        try await database.schema("deliveries").delete()
        for field in ["routed_crm_id", "routing_reason", "routing_explanation", "rerouted", "unit_price_cents"] {
            try await database.schema("leads").deleteField(FieldKey(stringLiteral: field)).update()
        }
        try await database.schema("forms").deleteField("crm_token").update()
        try await database.schema("accounts").deleteField("crm_tokens").update()
        for field in [
            "delivery_kind", "orders", "lead_prices", "routing_limits", "redistribution_tokens", "field_mapping",
            "webhook_headers", "webhook_secret",
        ] {
            try await database.schema("crms").deleteField(FieldKey(stringLiteral: field)).update()
        }
    }
}
