import Fluent
import Foundation
import SQLKit

/// Lead quality, consent proof and keeping leads with errors (issue 13): the organization's intake
/// policy (nil columns mean the defaults), each lead's score, reasons, field errors and consent
/// record, and the indexes the repeat signals (same address, same visitor in 24 h) look up.
struct UpdateLeadsAddQuality: AsyncMigration {
    static let organizationFields: [(String, DatabaseSchema.DataType)] = [
        ("intake_strict", .bool), ("quality_hold_threshold", .int), ("quality_reject_threshold", .int),
        ("require_phone_consent", .bool), ("suspect_ip_ranges", .string),
    ]
    static let leadFields: [(String, DatabaseSchema.DataType)] = [
        ("quality_score", .int), ("quality_reasons", .string), ("review_errors", .string),
        ("consent_hash", .string), ("consent_partners_version", .string),
    ]

    func prepare(on database: any Database) async throws {
        for (name, type) in Self.organizationFields {
            try await database.schema("organizations").field(FieldKey(stringLiteral: name), type).update()
        }
        for (name, type) in Self.leadFields {
            try await database.schema("leads").field(FieldKey(stringLiteral: name), type).update()
        }
        let sql = database as! any SQLDatabase
        try await sql.create(index: "leads_org_ip_idx").on("leads").column("organization_id").column("ip")
            .column("created_at").run()
        try await sql.create(index: "leads_org_visitor_idx").on("leads").column("organization_id")
            .column("visitor_id").column("created_at").run()
        // The review queue: few rows, so a partial index that costs nothing to the other leads.
        try await sql.raw(
            """
            CREATE INDEX "leads_review_idx" ON "leads" ("organization_id", "created_at")
            WHERE "status" IN ('incomplete', 'invalid', 'held', 'no_consent')
            """
        ).run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for index in ["leads_org_ip_idx", "leads_org_visitor_idx", "leads_review_idx"] {
            try await sql.drop(index: index).run()
        }
        for (name, _) in Self.leadFields {
            try await database.schema("leads").deleteField(FieldKey(stringLiteral: name)).update()
        }
        for (name, _) in Self.organizationFields {
            try await database.schema("organizations").deleteField(FieldKey(stringLiteral: name)).update()
        }
    }
}
