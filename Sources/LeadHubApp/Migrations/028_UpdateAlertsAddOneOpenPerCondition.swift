import Fluent
import Foundation
import SQLKit

/// At most one open alert per condition: a partial unique index on (organization, key) among the
/// alerts not resolved. Duplicates left by two servers evaluating at once are resolved first
/// (the oldest stays open).
struct UpdateAlertsAddOneOpenPerCondition: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let open = try await sql.select().columns("id", "organization_id", "key", "first_seen_at").from("alerts")
            .where("resolved_at", .is, SQLLiteral.null).orderBy("first_seen_at").all()
        var seen: Set<String> = []
        for row in open {
            let key =
                "\(try row.decode(column: "organization_id", as: UUID.self))|\(try row.decode(column: "key", as: String.self))"
            if seen.insert(key).inserted { continue }
            try await sql.update("alerts").set(
                "resolved_at", to: try row.decode(column: "first_seen_at", as: Date.self)
            )
            .set("resolved_by", to: "doublon").where("id", .equal, try row.decode(column: "id", as: UUID.self)).run()
        }
        try await sql.raw(
            "CREATE UNIQUE INDEX alerts_one_open_idx ON alerts (organization_id, key) WHERE resolved_at IS NULL"
        ).run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX alerts_one_open_idx").run()
    }
}
