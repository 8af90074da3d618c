import FluentSQLiteDriver
import Foundation
import LeadHubCore
import NIOCore

/// The lead writer's own SQLite connection. A batch runs as one chain of futures on that
/// connection's event loop (BEGIN IMMEDIATE, lookups, rules, multi-row inserts, COMMIT), so the
/// commit path never waits for a turn on Swift's cooperative thread pool, which the HTTP handlers
/// keep busy under load. Values are converted to SQLite directly, as Fluent stores them (UUIDs as
/// text, dates as seconds since 1970, booleans as 0/1).
final class SQLiteLeadStore: Sendable {
    let connection: SQLiteConnection

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    static func open(path: String, on eventLoop: any EventLoop, logger: Logger) async throws -> SQLiteLeadStore {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: .singleton, logger: logger, on: eventLoop
        ).get()
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=5000"] {
            _ = try await connection.query(pragma).get()
        }
        return SQLiteLeadStore(connection: connection)
    }

    func close() async {
        try? await connection.close().get()
    }

    /// Stores a batch in one transaction; the future completes after the commit.
    func commit(_ drafts: [LeadDraft]) -> EventLoopFuture<[LeadOutcome]> {
        let queries = LeadWriter.lookupQueries(drafts)
        return run("BEGIN IMMEDIATE")
            .flatMap { _ in self.lookups(queries, from: 0, into: LeadWriter.Lookups()) }
            .flatMap { lookups in
                let decision = LeadWriter.decide(drafts, lookups)
                return self.inserts(decision).map { decision.outcomes }
            }
            .flatMap { outcomes in self.run("COMMIT").map { _ in outcomes } }
            .flatMapError { error in
                self.run("ROLLBACK").flatMapThrowing { _ in throw error }.flatMapErrorThrowing { _ in throw error }
            }
    }

    private func run(_ sql: String, _ binds: [SQLiteData] = []) -> EventLoopFuture<[SQLiteRow]> {
        connection.query(sql, binds)
    }

    private func lookups(_ queries: [LeadWriter.LookupQuery], from index: Int, into lookups: LeadWriter.Lookups)
        -> EventLoopFuture<LeadWriter.Lookups>
    {
        guard index < queries.count else { return connection.eventLoop.makeSucceededFuture(lookups) }
        let query = queries[index]
        let marks = Array(repeating: "?", count: query.values.count).joined(separator: ",")
        let organization = SQLiteData.text(query.organizationId.uuidString)
        let values = query.values.map { SQLiteData.text($0) }
        // INDEXED BY: without statistics SQLite would rather walk the (organization, created_at)
        // index, i.e. every lead of the day, than look the few phones or sessions up.
        let columns = LeadWriter.RecentLead.columns.map { "\"\($0)\"" }.joined(separator: ",")
        let statement: String
        var binds: [SQLiteData] = [organization] + values
        switch query.kind {
        case .keys:
            statement = """
                SELECT "organization_id","key","request_hash","response_status","response_body" FROM "idempotency_keys"
                WHERE "organization_id" = ? AND "key" IN (\(marks))
                """
        case .sessions:
            statement = """
                SELECT \(columns) FROM "leads" INDEXED BY "leads_org_session_idx"
                WHERE "organization_id" = ? AND "session_id" IN (\(marks)) AND "created_at" >= ?
                """
            binds.append(.float(query.since!.timeIntervalSince1970))
        case .phones:
            statement = """
                SELECT \(columns) FROM "leads" INDEXED BY "leads_org_phone_idx"
                WHERE "organization_id" = ? AND "phone" IN (\(marks)) AND "created_at" >= ? AND "erased_at" IS NULL
                """
            binds.append(.float(query.since!.timeIntervalSince1970))
        }
        return run(statement, binds).flatMapThrowing { rows -> LeadWriter.Lookups in
            var lookups = lookups
            for row in rows {
                switch query.kind {
                case .keys:
                    guard let key = row.column("key")?.string, let hash = row.column("request_hash")?.string,
                        let status = row.column("response_status")?.integer, let body = row.column("response_body")?.string
                    else { continue }
                    lookups.known[query.organizationId.uuidString + "|" + key] = (hash, status, body)
                case .sessions:
                    let recent = try LeadWriter.RecentLead(sqlite: row)
                    lookups.bySession[recent.sessionKey, default: []].append(recent)
                case .phones:
                    let recent = try LeadWriter.RecentLead(sqlite: row)
                    lookups.byPhone[recent.phoneKey, default: []].append(recent)
                }
            }
            return lookups
        }.flatMap { lookups in self.lookups(queries, from: index + 1, into: lookups) }
    }

    private func inserts(_ decision: LeadWriter.Decision) -> EventLoopFuture<Void> {
        var statements: [(String, [SQLiteData])] = []
        for chunk in decision.newLeads.chunked(200) {
            statements.append(insert("leads", LeadWriter.leadColumns, chunk.map { Self.leadRow($0.0, stored: $0.1) }))
        }
        for chunk in decision.remembered.chunked(300) {
            statements.append(
                insert(
                    "idempotency_keys", LeadWriter.idempotencyColumns,
                    chunk.map { draft, answer in
                        [
                            .text(TimeOrderedID.make(at: draft.receivedAt).uuidString), .text(draft.organizationId.uuidString),
                            .text(draft.idempotencyKey!),
                            .text(draft.submissionHash), .text(answer.id.uuidString), .integer(201),
                            .text(LeadWriter.answerJSON(answer.answer)), .float(draft.receivedAt.timeIntervalSince1970),
                        ]
                    }))
        }
        var chain = connection.eventLoop.makeSucceededVoidFuture()
        for (sql, binds) in statements {
            chain = chain.flatMap { self.run(sql, binds).map { _ in () } }
        }
        return chain
    }

    private func insert(_ table: String, _ columns: [String], _ rows: [[SQLiteData]]) -> (String, [SQLiteData]) {
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let statement =
            "INSERT INTO \"\(table)\" (" + columns.map { "\"\($0)\"" }.joined(separator: ",") + ") VALUES "
            + Array(repeating: placeholders, count: rows.count).joined(separator: ",")
        return (statement, rows.flatMap { $0 })
    }

    static func leadRow(_ d: LeadDraft, stored: StoredLead) -> [SQLiteData] {
        func text(_ value: String?) -> SQLiteData { value.map { .text($0) } ?? .null }
        func uuid(_ value: UUID?) -> SQLiteData { value.map { .text($0.uuidString) } ?? .null }
        let lead = d.lead
        let a = lead.attribution
        let date = SQLiteData.float(d.receivedAt.timeIntervalSince1970)
        return [
            uuid(d.id), uuid(d.organizationId), uuid(d.formId), uuid(d.accountId), uuid(d.crmId), uuid(d.landingPageId),
            uuid(d.diffusionSourceId), text(d.productType), text(stored.status.rawValue), uuid(stored.duplicateOf),
            text(lead.phone.e164), text(lead.civilite), text(lead.nom), text(lead.prenom), text(lead.email),
            text(lead.codePostal), text(lead.departement), text(lead.ville), text(lead.adresse), text(lead.typeLogement),
            text(lead.statutOccupant), lead.surfaceHabitable.map { .integer($0) } ?? .null, text(lead.chauffageActuel),
            text(lead.factureElectricite), text(JSONText.encode(lead.extra)), text(d.formCode), text(lead.lpCode),
            text(a["session_id"]), text(a["visitor_id"]), text(a["utm_source"]), text(a["utm_medium"]),
            text(a["utm_campaign"]), text(a["utm_content"]), text(a["utm_term"]), text(a["gclid"]), text(a["fbclid"]),
            text(a["referrer"]), text(a["page_url"]), .integer(lead.consent.phone ? 1 : 0),
            .integer(lead.consent.email ? 1 : 0), text(lead.consent.text), text(lead.consent.url ?? a["page_url"]), date,
            text(d.ip), text(d.userAgent), text(d.submissionHash), uuid(d.apiKeyId), date, date,
        ]
    }
}

extension LeadWriter.RecentLead {
    init(sqlite row: SQLiteRow) throws {
        func uuid(_ column: String) -> UUID? { row.column(column)?.string.flatMap(UUID.init(uuidString:)) }
        guard let id = uuid("id"), let organizationId = uuid("organization_id"),
            let hash = row.column("submission_hash")?.string, let created = row.column("created_at")?.double,
            let status = row.column("status")?.string, let formCode = row.column("form_code")?.string,
            let phone = row.column("phone")?.string, let product = row.column("product_type")?.string
        else { throw SQLiteLeadStoreError.unreadableRow }
        self.init(
            id: id, organizationId: organizationId, sessionId: row.column("session_id")?.string, submissionHash: hash,
            status: LeadStatus(rawValue: status) ?? .received, duplicateOf: uuid("duplicate_of"), formCode: formCode,
            createdAt: Date(timeIntervalSince1970: created), phone: phone, productType: product)
    }
}

enum SQLiteLeadStoreError: Error {
    case unreadableRow
}
