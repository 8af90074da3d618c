import FluentSQLiteDriver
import Foundation
import LeadHubCore
import NIOCore

/// The lead writer's own SQLite connection, used only on the writer thread. A batch runs as one
/// synchronous transaction (BEGIN IMMEDIATE, lookups, rules, inserts, COMMIT) with statements
/// prepared once. Values are stored as Fluent stores them (UUIDs as text, dates as seconds since
/// 1970, booleans as 0/1).
final class SQLiteLeadStore {
    private let database: RawSQLite

    init(path: String) throws {
        database = try RawSQLite(path: path)
        // Checkpoints run on another connection (`LeadWriter.checkpoint()`, every half second),
        // so that commits rarely pay for copying the WAL into the database; the high threshold
        // here only bounds the WAL if those cannot keep up under sustained load.
        for pragma in [
            "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=5000",
            "PRAGMA wal_autocheckpoint=10000",
        ] {
            try database.rows(pragma, []) { _ in }
        }
    }

    func close() {
        database.close()
    }

    /// Runs `body` in one transaction on this connection.
    func transaction(_ body: (RawSQLite) throws -> Void) throws {
        try database.execute("BEGIN IMMEDIATE")
        do {
            try body(database)
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    /// Stores a batch in one transaction; returns after the commit.
    func commit(_ drafts: [LeadDraft]) throws -> [LeadOutcome] {
        try database.execute("BEGIN IMMEDIATE")
        do {
            let outcomes = try insert(drafts)
            try database.execute("COMMIT")
            return outcomes
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    /// One turn of the writer: the lead batch and the other writes queued meanwhile (delivery
    /// claims and settlements, tracking events), in one transaction and so one fsync. Each other
    /// write runs in a savepoint of its own: its failure undoes it alone and is returned in its place.
    /// Throws (and commits nothing) when the lead batch or the commit fails.
    func cycle(_ drafts: [LeadDraft], jobs: [@Sendable (RawSQLite) throws -> Void]) throws -> (
        [LeadOutcome], [(any Error)?]
    ) {
        try database.execute("BEGIN IMMEDIATE")
        do {
            let outcomes = drafts.isEmpty ? [] : try insert(drafts)
            var results: [(any Error)?] = []
            for job in jobs {
                try database.execute("SAVEPOINT writer_job")
                do {
                    try job(database)
                    try database.execute("RELEASE writer_job")
                    results.append(nil)
                } catch {
                    try database.execute("ROLLBACK TO writer_job")
                    try database.execute("RELEASE writer_job")
                    results.append(error)
                }
            }
            try database.execute("COMMIT")
            return (outcomes, results)
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    /// The batch's statements, inside the caller's transaction.
    private func insert(_ drafts: [LeadDraft]) throws -> [LeadOutcome] {
        do {
            let decision = LeadWriter.decide(drafts, try lookups(LeadWriter.lookupQueries(drafts)))
            let plan = LeadWriter.plan(
                decision.newLeads, counters: try counters(LeadWriter.counterQueries(decision.newLeads)))
            for (draft, stored) in decision.newLeads {
                let row = NewLeadRow(draft: draft, stored: stored, routed: plan.routed[draft.id])
                try database.run(Self.insertLead, IntakeRows.lead.sqlite(row))
                if row.routed != nil { try database.run(Self.insertDelivery, IntakeRows.delivery.sqlite(row)) }
            }
            for (key, delta) in plan.increments {
                try database.run(
                    LeadWriter.upsertCounter,
                    [
                        .text(key.organizationId.text), .text(key.crmId.text), .text(key.productType),
                        .text(key.period), .integer(delta),
                    ])
            }
            try LeadWriter.stats(decision.newLeads).write(on: database)
            for (draft, answer) in decision.remembered {
                let row = IdempotencyRow(id: TimeOrderedID.make(at: draft.receivedAt), draft: draft, answer: answer)
                try database.run(Self.insertKey, IntakeRows.idempotency.sqlite(row))
            }
            return decision.outcomes
        }
    }

    private static let recentColumns = PriorLead.columns.map { "\"\($0)\"" }.joined(separator: ",")
    // INDEXED BY: without statistics SQLite would rather walk the (organization, created_at)
    // index, i.e. every lead of the day, than look one phone or session up.
    private static let selectKey = """
        SELECT "request_hash","response_status","response_body" FROM "idempotency_keys"
        WHERE "organization_id" = ? AND "key" = ?
        """
    private static let selectSession = """
        SELECT \(recentColumns) FROM "leads" INDEXED BY "leads_org_session_idx"
        WHERE "organization_id" = ? AND "session_id" = ? AND "created_at" >= ?
        """
    private static let selectPhone = """
        SELECT \(recentColumns) FROM "leads" INDEXED BY "leads_org_phone_idx"
        WHERE "organization_id" = ? AND "phone" = ? AND "created_at" >= ? AND "erased_at" IS NULL
        """
    // Bounded counts: past `repeatCountLimit` the score no longer changes.
    private static let countAddress = """
        SELECT COUNT(*) FROM (SELECT 1 FROM "leads" INDEXED BY "leads_org_ip_idx"
        WHERE "organization_id" = ? AND "ip" = ? AND "created_at" >= ?
        AND "status" NOT IN (\(LeadStatus.notRepeatSQL)) LIMIT \(LeadWriter.repeatCountLimit))
        """
    private static let countVisitor = """
        SELECT COUNT(*) FROM (SELECT 1 FROM "leads" INDEXED BY "leads_org_visitor_idx"
        WHERE "organization_id" = ? AND "visitor_id" = ? AND "created_at" >= ?
        AND "status" NOT IN (\(LeadStatus.notRepeatSQL)) LIMIT \(LeadWriter.repeatCountLimit))
        """
    private static let insertLead = IntakeRows.lead.sqliteInsert
    private static let insertKey = IntakeRows.idempotency.sqliteInsert
    private static let insertDelivery = IntakeRows.delivery.sqliteInsert
    private static let selectCounter = """
        SELECT "crm_id", "count" FROM "routing_counters"
        WHERE "organization_id" = ? AND "product_type" = ? AND "period" = ?
        """

    private func counters(_ queries: [LeadWriter.CounterQuery]) throws -> [LeadWriter.CounterKey: Int] {
        var counters: [LeadWriter.CounterKey: Int] = [:]
        for query in queries {
            for period in query.periods {
                let binds: [SQLiteData] = [
                    .text(query.organizationId.text), .text(query.productType), .text(period),
                ]
                try database.rows(Self.selectCounter, binds) { row in
                    guard let crm = row.text(0).flatMap(UUID.init(uuidString:)), let count = row.integer(1) else {
                        return
                    }
                    let key = LeadWriter.CounterKey(
                        organizationId: query.organizationId, crmId: crm, productType: query.productType, period: period
                    )
                    counters[key] = count
                }
            }
        }
        return counters
    }

    /// One prepared look-up per value: with the (organization_id, …) indexes each is a short
    /// B-tree probe.
    private func lookups(_ queries: [LeadWriter.LookupQuery]) throws -> LeadWriter.Lookups {
        var lookups = LeadWriter.Lookups()
        for query in queries {
            let organization = SQLiteData.text(query.organizationId.text)
            for value in query.values {
                switch query.kind {
                case .keys:
                    try database.rows(Self.selectKey, [organization, .text(value)]) { row in
                        guard let hash = row.text(0), let status = row.integer(1), let body = row.text(2) else {
                            return
                        }
                        lookups.known[IntakeRules.keyKey(query.organizationId, value)] = IntakeRules.KnownKey(
                            hash: hash, status: status, body: body)
                    }
                case .sessions:
                    let since = SQLiteData.float(query.since!.timeIntervalSince1970)
                    try database.rows(Self.selectSession, [organization, .text(value), since]) { row in
                        let recent = try PriorLead(raw: row)
                        lookups.bySession[recent.sessionKey, default: []].append(recent)
                    }
                case .phones:
                    let since = SQLiteData.float(query.since!.timeIntervalSince1970)
                    try database.rows(Self.selectPhone, [organization, .text(value), since]) { row in
                        let recent = try PriorLead(raw: row)
                        lookups.byPhone[recent.phoneKey, default: []].append(recent)
                    }
                case .addresses, .visitors:
                    let since = SQLiteData.float(query.since!.timeIntervalSince1970)
                    let statement = query.kind == .addresses ? Self.countAddress : Self.countVisitor
                    let key = IntakeRules.addressKey(query.organizationId, value)
                    try database.rows(statement, [organization, .text(value), since]) { row in
                        let count = row.integer(0) ?? 0
                        if query.kind == .addresses {
                            lookups.recentByAddress[key] = count
                        } else {
                            lookups.recentByVisitor[key] = count
                        }
                    }
                }
            }
        }
        return lookups
    }

}

extension PriorLead {
    /// A row selected with `PriorLead.columns`, each value read by its column's name.
    init(raw row: RawSQLite.Row) throws {
        func at(_ name: String) -> Int32 { Self.position[name]! }
        func uuid(_ name: String) -> UUID? { row.text(at(name)).flatMap(UUID.init(uuidString:)) }
        guard let id = uuid("id"), let organizationId = uuid("organization_id"),
            let hash = row.text(at("submission_hash")), let status = row.text(at("status")),
            let formCode = row.text(at("form_code")), let created = row.double(at("created_at")),
            let phone = row.text(at("phone")), let product = row.text(at("product_type"))
        else { throw SQLiteLeadStoreError.unreadableRow }
        self.init(
            id: id, organizationId: organizationId, sessionId: row.text(at("session_id")), submissionHash: hash,
            status: LeadStatus(rawValue: status) ?? .received, duplicateOf: uuid("duplicate_of"), formCode: formCode,
            createdAt: Date(timeIntervalSince1970: created), phone: phone, productType: product)
    }

    private static let position = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, Int32($0)) })
}

enum SQLiteLeadStoreError: Error {
    case unreadableRow
}
