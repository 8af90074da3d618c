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
            let decision = LeadWriter.decide(drafts, try lookups(LeadWriter.lookupQueries(drafts)))
            let plan = LeadWriter.plan(
                decision.newLeads, counters: try counters(LeadWriter.counterQueries(decision.newLeads)))
            for (draft, stored) in decision.newLeads {
                let routed = plan.routed[draft.id]
                try database.run(Self.insertLead, Self.leadRow(draft, stored: stored, routed: routed))
                if let routed { try database.run(Self.insertDelivery, Self.deliveryRow(draft, routed)) }
            }
            for (key, delta) in plan.increments {
                try database.run(
                    LeadWriter.upsertCounter,
                    [
                        .text(key.organizationId.uuidString), .text(key.crmId.uuidString), .text(key.productType),
                        .text(key.period), .integer(delta),
                    ])
            }
            try LeadWriter.stats(decision.newLeads).write(on: database)
            for (draft, answer) in decision.remembered {
                try database.run(
                    Self.insertKey,
                    [
                        .text(TimeOrderedID.make(at: draft.receivedAt).uuidString),
                        .text(draft.organizationId.uuidString),
                        .text(draft.idempotencyKey!), .text(draft.submissionHash), .text(answer.id.uuidString),
                        .integer(201), .text(LeadWriter.answerJSON(answer.answer)),
                        .float(draft.receivedAt.timeIntervalSince1970),
                    ])
            }
            try database.execute("COMMIT")
            return decision.outcomes
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    private static let recentColumns = LeadWriter.RecentLead.columns.map { "\"\($0)\"" }.joined(separator: ",")
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
    private static let insertLead = insert("leads", LeadWriter.leadColumns)
    private static let insertKey = insert("idempotency_keys", LeadWriter.idempotencyColumns)
    private static let insertDelivery = insert("deliveries", LeadWriter.deliveryColumns)
    private static let selectCounter = """
        SELECT "crm_id", "count" FROM "routing_counters"
        WHERE "organization_id" = ? AND "product_type" = ? AND "period" = ?
        """

    private func counters(_ queries: [LeadWriter.CounterQuery]) throws -> [LeadWriter.CounterKey: Int] {
        var counters: [LeadWriter.CounterKey: Int] = [:]
        for query in queries {
            for period in query.periods {
                let binds: [SQLiteData] = [
                    .text(query.organizationId.uuidString), .text(query.productType), .text(period),
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

    static func deliveryRow(_ draft: LeadDraft, _ routed: LeadWriter.RoutedLead) -> [SQLiteData] {
        let waiting = routed.deliveryStatus == .pending
        let date = SQLiteData.float(draft.receivedAt.timeIntervalSince1970)
        return [
            .text(routed.deliveryId.uuidString), .text(draft.organizationId.uuidString), .text(draft.id.uuidString),
            routed.decision.destination.map { .text($0.uuidString) } ?? .null, .text(draft.productType),
            .text(routed.deliveryStatus.rawValue), .integer(0), waiting ? date : .null,
            waiting ? .null : .text(routed.decision.explanation), date, date,
        ]
    }

    private static func insert(_ table: String, _ columns: [String]) -> String {
        "INSERT INTO \"\(table)\" (" + columns.map { "\"\($0)\"" }.joined(separator: ",") + ") VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
    }

    /// One prepared look-up per value: with the (organization_id, …) indexes each is a short
    /// B-tree probe.
    private func lookups(_ queries: [LeadWriter.LookupQuery]) throws -> LeadWriter.Lookups {
        var lookups = LeadWriter.Lookups()
        for query in queries {
            let organization = SQLiteData.text(query.organizationId.uuidString)
            for value in query.values {
                switch query.kind {
                case .keys:
                    try database.rows(Self.selectKey, [organization, .text(value)]) { row in
                        guard let hash = row.text(0), let status = row.integer(1), let body = row.text(2) else {
                            return
                        }
                        lookups.known[query.organizationId.uuidString + "|" + value] = (hash, status, body)
                    }
                case .sessions:
                    let since = SQLiteData.float(query.since!.timeIntervalSince1970)
                    try database.rows(Self.selectSession, [organization, .text(value), since]) { row in
                        let recent = try LeadWriter.RecentLead(raw: row)
                        lookups.bySession[recent.sessionKey, default: []].append(recent)
                    }
                case .phones:
                    let since = SQLiteData.float(query.since!.timeIntervalSince1970)
                    try database.rows(Self.selectPhone, [organization, .text(value), since]) { row in
                        let recent = try LeadWriter.RecentLead(raw: row)
                        lookups.byPhone[recent.phoneKey, default: []].append(recent)
                    }
                }
            }
        }
        return lookups
    }

    static func leadRow(_ d: LeadDraft, stored: StoredLead, routed: LeadWriter.RoutedLead?) -> [SQLiteData] {
        func text(_ value: String?) -> SQLiteData { value.map { .text($0) } ?? .null }
        func uuid(_ value: UUID?) -> SQLiteData { value.map { .text($0.uuidString) } ?? .null }
        let lead = d.lead
        let a = lead.attribution
        let date = SQLiteData.float(d.receivedAt.timeIntervalSince1970)
        return [
            uuid(d.id), uuid(d.organizationId), uuid(d.formId), uuid(d.accountId), uuid(d.crmId), uuid(d.landingPageId),
            uuid(d.diffusionSourceId), text(d.productType), text(stored.status.rawValue), uuid(stored.duplicateOf),
            text(lead.phone.e164), text(lead.civilite), text(lead.nom), text(lead.prenom), text(lead.email),
            text(lead.codePostal), text(lead.departement), text(lead.ville), text(lead.adresse),
            text(lead.typeLogement),
            text(lead.statutOccupant), lead.surfaceHabitable.map { .integer($0) } ?? .null, text(lead.chauffageActuel),
            text(lead.factureElectricite), text(JSONText.encode(lead.extra)), text(d.formCode), text(lead.lpCode),
            text(a["session_id"]), text(a["visitor_id"]), text(a["utm_source"]), text(a["utm_medium"]),
            text(a["utm_campaign"]), text(a["utm_content"]), text(a["utm_term"]), text(a["gclid"]), text(a["fbclid"]),
            text(a["referrer"]), text(a["page_url"]), .integer(lead.consent.phone ? 1 : 0),
            .integer(lead.consent.email ? 1 : 0), text(lead.consent.text), text(lead.consent.url ?? a["page_url"]),
            date,
            text(d.ip), text(d.userAgent), text(d.submissionHash), uuid(d.apiKeyId), date, date,
            uuid(routed?.decision.destination), text(routed?.decision.reason.code), text(routed?.decision.explanation),
            .integer(routed?.decision.isRerouted == true ? 1 : 0), routed?.priceCents.map { .integer($0) } ?? .null,
        ]
    }
}

extension LeadWriter.RecentLead {
    /// A row of `RecentLead.columns`, in that order.
    init(raw row: RawSQLite.Row) throws {
        func uuid(_ column: Int32) -> UUID? { row.text(column).flatMap(UUID.init(uuidString:)) }
        guard let id = uuid(0), let organizationId = uuid(1), let hash = row.text(3), let status = row.text(4),
            let formCode = row.text(6), let created = row.double(7), let phone = row.text(8),
            let product = row.text(9)
        else { throw SQLiteLeadStoreError.unreadableRow }
        self.init(
            id: id, organizationId: organizationId, sessionId: row.text(2), submissionHash: hash,
            status: LeadStatus(rawValue: status) ?? .received, duplicateOf: uuid(5), formCode: formCode,
            createdAt: Date(timeIntervalSince1970: created), phone: phone, productType: product)
    }
}

enum SQLiteLeadStoreError: Error {
    case unreadableRow
}
