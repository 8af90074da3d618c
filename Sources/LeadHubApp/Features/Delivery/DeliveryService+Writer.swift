import FluentSQLiteDriver
import Foundation
import LeadHubCore
import SQLKit
import Synchronization
import Vapor

/// The delivery worker's writes (claims, releases, settlements), wherever the database is.
///
/// On SQLite there is one writer: the lead writer's thread. The worker's writes used to run on
/// pool connections and fought it for the database lock; SQLite's busy handler then slept in steps
/// of 1 to 100 ms on both sides, which put the intake's p99 near a second under load and starved the
/// worker. They now run as jobs on the writer's own connection, between lead batches, with the same
/// statements in raw form (`RawSQLite`, prepared once). On PostgreSQL they stay SQLKit statements
/// on the pool (row locks, `SKIP LOCKED`).
extension DeliveryService {
    static func claim(
        limit: Int, owner: String, lease: TimeInterval, excluding: Set<UUID>, crmId: UUID? = nil, now: Date,
        app: Application
    ) async throws -> [UUID] {
        guard limit > 0 else { return [] }
        guard app.leadWriter.usesGroupCommit else {
            return try await claim(
                limit: limit, owner: owner, lease: lease, excluding: excluding, crmId: crmId, now: now, on: app.db)
        }
        return try await app.leadWriter.perform { database in
            try claim(
                limit: limit, owner: owner, lease: lease, excluding: excluding, crmId: crmId, now: now, on: database)
        }
    }

    static func release(_ ids: [UUID], owner: String, app: Application) async throws {
        guard !ids.isEmpty else { return }
        guard app.leadWriter.usesGroupCommit else { return try await release(ids, owner: owner, on: app.db) }
        try await app.leadWriter.perform { database in
            for id in ids {
                try database.run(RawStatements.release, [.text(id.text), .text(owner)])
            }
        }
    }

    static func settleBatch(
        _ settlements: [Settlement], owner: String, schedule: RetrySchedule, now: Date, app: Application
    ) async throws {
        guard !settlements.isEmpty else { return }
        guard app.leadWriter.usesGroupCommit else {
            return try await settleBatch(settlements, owner: owner, schedule: schedule, now: now, on: app.db)
        }
        try await app.leadWriter.perform { database in
            try settleBatch(settlements, owner: owner, schedule: schedule, now: now, on: database)
        }
    }

    /// The SQLite claim: the same statement as the SQLKit one, the excluded CRMs as a JSON array
    /// bound to one parameter (one prepared statement whatever the list).
    static func claim(
        limit: Int, owner: String, lease: TimeInterval, excluding: Set<UUID>, crmId: UUID?, now: Date,
        on database: RawSQLite
    ) throws -> [UUID] {
        let nowValue = SQLiteData.float(now.timeIntervalSince1970)
        let excluded = "[" + excluding.map { "\"\($0.text)\"" }.joined(separator: ",") + "]"
        var ids: [UUID] = []
        let binds: [SQLiteData] =
            [.text(owner), .float(now.addingTimeInterval(lease).timeIntervalSince1970), nowValue, nowValue]
            + (crmId.map { [.text($0.text)] } ?? []) + [.text(excluded), .integer(limit)]
        try database.rows(crmId == nil ? RawStatements.claimAny : RawStatements.claimCrm, binds) { row in
            if let id = row.text(0).flatMap(UUID.init(uuidString:)) { ids.append(id) }
        }
        return ids
    }

    /// The SQLite settlement: one update per delivery (kept only if this owner still holds its
    /// lease), its attempt row, its lead's status, and the dashboard counts, in the job's
    /// transaction.
    static func settleBatch(
        _ settlements: [Settlement], owner: String, schedule: RetrySchedule, now: Date, on database: RawSQLite
    ) throws {
        let nowValue = SQLiteData.float(now.timeIntervalSince1970)
        var stats = StatsIncrements()
        for settlement in settlements {
            let change = DeliveryChange(settlement, schedule: schedule, jitter: Double.random(in: 0..<1), now: now)
            var kept = false
            try database.rows(
                RawStatements.settle,
                [
                    .text(change.status.rawValue), .integer(change.attempts),
                    change.next.map { .float($0.timeIntervalSince1970) } ?? .null,
                    change.message.map { .text($0) } ?? .null, settlement.httpStatus.map { .integer($0) } ?? .null,
                    change.finished ? nowValue : .null, nowValue, .text(settlement.job.deliveryId.text),
                    .text(owner),
                ]
            ) { _ in kept = true }
            guard kept else { continue }  // the lease was lost meanwhile: another owner settles it
            try database.run(
                DeliveryRows.attempt.sqliteInsert, DeliveryRows.attempt.sqlite(.init(settlement, change.status)))
            guard let leadStatus = LeadStatus.after(change.status) else { continue }
            // A lead becoming delivered counts once in the dashboards (not again when a forced
            // re-send is delivered too).
            let notFrom =
                leadStatus == .delivered
                ? [LeadStatus.duplicate.rawValue, LeadStatus.delivered.rawValue]
                : [LeadStatus.duplicate.rawValue, LeadStatus.duplicate.rawValue]
            var changed = false
            try database.rows(
                RawStatements.leadStatus,
                [
                    .text(leadStatus.rawValue), nowValue, .text(settlement.job.leadId.text), .text(notFrom[0]),
                    .text(notFrom[1]),
                ]
            ) { _ in changed = true }
            if changed, leadStatus == .delivered, let ref = settlement.job.stats { stats.addDelivered(ref) }
        }
        try stats.write(on: database)
    }

    /// What one attempt changes on its delivery row (both databases).
    struct DeliveryChange {
        let status: DeliveryStatus
        let attempts: Int
        let next: Date?
        let message: String?
        /// Delivered or a duplicate at the CRM: `delivered_at` is set.
        let finished: Bool

        init(_ settlement: Settlement, schedule: RetrySchedule, jitter: Double, now: Date) {
            attempts = settlement.job.attempts + 1
            status = settlement.outcome.status(attempts: attempts, schedule: schedule)
            var next: Date? = nil
            var message: String? = nil
            switch settlement.outcome {
            case .retryable(let why, let retryAfter):
                message = why
                if status == .retrying {
                    next =
                        retryAfter.map { now.addingTimeInterval($0) }
                        ?? schedule.nextAttempt(after: attempts, from: now, jitter: jitter)
                }
            case .refused(let why), .authError(let why): message = why
            case .delivered, .duplicate: message = nil
            }
            self.next = next
            self.message = message
            finished = status == .delivered || status == .duplicate
        }
    }

    private enum RawStatements {
        // INDEXED BY, as in the SQLKit claim: without it the planner sorts every waiting row.
        static let claimAny = """
            UPDATE "deliveries" SET "lease_owner" = ?, "lease_until" = ?
            WHERE "id" IN (
                SELECT "id" FROM "deliveries" INDEXED BY "deliveries_waiting_idx"
                WHERE "status" IN ('pending', 'retrying') AND "next_attempt_at" <= ?
                  AND ("lease_until" IS NULL OR "lease_until" < ?)
                  AND "crm_id" NOT IN (SELECT "value" FROM json_each(?))
                ORDER BY "next_attempt_at" LIMIT ?
            )
            RETURNING "id"
            """
        static let claimCrm = """
            UPDATE "deliveries" SET "lease_owner" = ?, "lease_until" = ?
            WHERE "id" IN (
                SELECT "id" FROM "deliveries" INDEXED BY "deliveries_crm_waiting_idx"
                WHERE "status" IN ('pending', 'retrying') AND "next_attempt_at" <= ?
                  AND ("lease_until" IS NULL OR "lease_until" < ?) AND "crm_id" = ?
                  AND "crm_id" NOT IN (SELECT "value" FROM json_each(?))
                ORDER BY "next_attempt_at" LIMIT ?
            )
            RETURNING "id"
            """
        static let release = """
            UPDATE "deliveries" SET "lease_owner" = NULL, "lease_until" = NULL WHERE "id" = ? AND "lease_owner" = ?
            """
        // `+"status"`: by primary key, never through the status index (see `waiting`).
        static let settle = """
            UPDATE "deliveries" SET "status" = ?, "attempts" = ?, "next_attempt_at" = ?, "lease_owner" = NULL,
                "lease_until" = NULL, "last_error" = ?, "last_status_code" = ?,
                "delivered_at" = COALESCE(?, "delivered_at"), "updated_at" = ?
            WHERE "id" = ? AND "lease_owner" = ? AND +"status" IN ('pending', 'retrying')
            RETURNING "id"
            """
        static let leadStatus = """
            UPDATE "leads" SET "status" = ?, "updated_at" = ? WHERE "id" = ? AND "status" NOT IN (?, ?) RETURNING "id"
            """
    }
}

extension LeadWriter {
    /// `perform` with a result: runs `body` in a transaction of its own on the writer's connection.
    func perform<T: Sendable>(_ body: @escaping @Sendable (RawSQLite) throws -> T) async throws -> T {
        let result = Mutex<T?>(nil)
        try await perform { database in
            let value = try body(database)
            result.withLock { $0 = value }
        }
        return result.withLock { $0! }
    }
}

/// One attempt as stored, and its row (both databases).
struct AttemptRow: Sendable {
    let settlement: DeliveryService.Settlement
    let status: DeliveryStatus

    init(_ settlement: DeliveryService.Settlement, _ status: DeliveryStatus) {
        self.settlement = settlement
        self.status = status
    }
}

enum DeliveryRows {
    static let attempt = RowShape<AttemptRow>(
        "delivery_attempts",
        [
            ("id", { .uuid(TimeOrderedID.make(at: $0.settlement.startedAt)) }),
            ("organization_id", { .uuid($0.settlement.job.organizationId) }),
            ("delivery_id", { .uuid($0.settlement.job.deliveryId) }),
            ("lead_id", { .uuid($0.settlement.job.leadId) }),
            ("crm_id", { .uuid($0.settlement.job.crmId) }),
            ("started_at", { .date($0.settlement.startedAt) }),
            ("duration_ms", { .integer($0.settlement.durationMs) }),
            ("http_status", { .integer($0.settlement.httpStatus) }),
            ("outcome", { .text($0.status.rawValue) }),
            ("excerpt", { .text(String($0.settlement.excerpt.prefix(500))) }),
        ])
}
