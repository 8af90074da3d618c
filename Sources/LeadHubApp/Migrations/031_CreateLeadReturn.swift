import Fluent
import Foundation
import SQLKit

/// « Retours » (issue 13): a buyer returns a delivered lead with a reason; accepted, it is a credit
/// on the billing of the lead's period. One return per lead; the lead row carries its state for the
/// billing aggregates; each CRM may get an inbound key for `POST /api/v1/returns`.
struct CreateLeadReturn: AsyncMigration {
    static let added: [(String, String, DatabaseSchema.DataType)] = [
        ("leads", "return_status", .string), ("crms", "returns_key_hash", .string),
        ("crms", "returns_key_prefix", .string), ("organizations", "return_window_days", .int),
        ("organizations", "return_cap_percent", .int),
    ]

    func prepare(on database: any Database) async throws {
        try await database.schema("lead_returns")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("lead_id", .uuid, .required, .references("leads", "id", onDelete: .cascade))
            .field("crm_id", .uuid, .required)
            .field("reason", .string, .required)
            .field("note", .string)
            .field("channel", .string, .required)
            .field("status", .string, .required)
            .field("over_cap", .bool, .required)
            .field("requested_by", .string)
            .field("decided_by", .string)
            .field("decision_note", .string)
            .field("decided_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "lead_id")
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "lead_returns_org_status_idx").on("lead_returns").column("organization_id")
            .column("status").column("created_at").run()
        try await sql.create(index: "lead_returns_org_crm_idx").on("lead_returns").column("organization_id")
            .column("crm_id").column("created_at").run()
        for (table, column, type) in Self.added {
            try await database.schema(table).field(FieldKey(stringLiteral: column), type).update()
        }
    }

    func revert(on database: any Database) async throws {
        for (table, column, _) in Self.added {
            try await database.schema(table).deleteField(FieldKey(stringLiteral: column)).update()
        }
        try await database.schema("lead_returns").delete()
    }
}
