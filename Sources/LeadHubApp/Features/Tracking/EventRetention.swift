import Fluent
import Foundation
import SQLKit
import Vapor

/// Raw tracking events are kept `LEADHUB_EVENTS_RETENTION_DAYS` days (395 by default: the
/// 13 months of an audience-measurement tracker); older ones are deleted a small batch at a time,
/// at most once an hour across the cluster, by the background loop (`AlertMonitor`, which holds
/// the `event-retention` lease for an hour each time it runs it). The dashboards read
/// the aggregate tables, which stay: only "Vérifier l'intégration" reads raw events, over 7 days.
enum EventRetention {
    static let batch = 2_000
    static let every: TimeInterval = 3_600

    /// Deletes every organization's events older than the retention, by batches (one short
    /// transaction each, so that lead intake never waits long for the database).
    static func purge(app: Application, now: Date) async throws -> Int {
        let days = app.config.eventsRetentionDays
        guard days > 0 else { return 0 }
        let cutoff = now.addingTimeInterval(-Double(days) * 86_400)
        let sql = app.db as! any SQLDatabase
        var total = 0
        for organizationId in try await Organization.query(on: app.db).all(\.$id) {
            while true {
                let rows = try await sql.raw(
                    """
                    DELETE FROM "tracking_events" WHERE "id" IN (
                        SELECT "id" FROM "tracking_events" WHERE "organization_id" = \(bind: organizationId)
                        AND "created_at" < \(bind: cutoff) LIMIT \(unsafeRaw: String(batch))
                    ) RETURNING "id"
                    """
                ).all()
                total += rows.count
                if rows.count < batch { break }
                await Task.yield()
            }
        }
        if total > 0 { app.logger.info("\(total) tracking event(s) older than \(days) days deleted (aggregates kept)") }
        return total
    }
}
