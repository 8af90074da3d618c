import Fluent
import SQLKit

/// The workers' claim reads the waiting deliveries oldest first: a partial index on exactly those
/// rows keeps it a short index walk however many delivered rows the table holds (without it,
/// SQLite sorted every waiting row on each claim).
struct UpdateDeliveriesAddWaitingIndex: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw(
            """
            CREATE INDEX "deliveries_waiting_idx" ON "deliveries" ("next_attempt_at")
            WHERE "status" IN ('pending', 'retrying')
            """
        ).run()
        // Claims for one CRM (as many as it can take at once).
        try await (database as! any SQLDatabase).raw(
            """
            CREATE INDEX "deliveries_crm_waiting_idx" ON "deliveries" ("crm_id", "next_attempt_at")
            WHERE "status" IN ('pending', 'retrying')
            """
        ).run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "deliveries_crm_waiting_idx").run()
        try await (database as! any SQLDatabase).drop(index: "deliveries_waiting_idx").run()
    }
}
