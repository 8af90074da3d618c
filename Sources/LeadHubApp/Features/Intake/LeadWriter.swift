import Fluent
import Foundation
import LeadHubCore
import FluentSQLiteDriver
import SQLKit
import Synchronization
import Vapor

/// Everything the writer needs to store one lead, resolved and validated by the intake handler.
struct LeadDraft: Sendable {
    let id: UUID
    let organizationId: UUID
    let formId: UUID
    let accountId: UUID
    let crmId: UUID
    let landingPageId: UUID?
    let diffusionSourceId: UUID?
    let productType: String
    let formCode: String
    let lead: ValidatedLead
    let ip: String?
    let userAgent: String?
    let apiKeyId: UUID?
    /// SHA-256 of the canonical body: the same submission twice has the same hash.
    let submissionHash: String
    let idempotencyKey: String?
    let receivedAt: Date
    let duplicateWindowHours: Int?
}

/// What happened to a submission.
enum LeadOutcome: Sendable, Equatable {
    /// Stored now (as a new lead or as a duplicate of an earlier one).
    case stored(StoredLead)
    /// The same idempotency key was seen with the same body: the stored answer, unchanged.
    case replayed(status: Int, body: String)
    /// The same idempotency key was seen with another body.
    case idempotencyMismatch
    /// The same body from the same session a few seconds ago (a double click): the first lead.
    case doubleSubmit(StoredLead)
}

struct StoredLead: Sendable, Equatable, Codable {
    let id: UUID
    let status: LeadStatus
    let duplicateOf: UUID?
    let formCode: String
    let createdAt: Date

    /// The `201` body of the public API.
    var answer: LeadAnswer {
        LeadAnswer(
            id: id, status: status == .duplicate ? "duplicate" : "accepted", duplicateOf: duplicateOf, formCode: formCode,
            createdAt: createdAt)
    }
}

struct LeadAnswer: Content, Equatable {
    let id: UUID
    let status: String
    let duplicateOf: UUID?
    let formCode: String
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, status, duplicateOf = "duplicate_of", formCode = "form_code", createdAt = "created_at"
    }
}

/// Stores leads durably. On SQLite, one writer task gathers the submissions that arrive while the
/// previous commit is being fsync'd and commits them together (group commit): every lead is on
/// disk before its answer, and durability does not cost throughput. On PostgreSQL each lead has
/// its own transaction, serialized per phone number by an advisory lock.
final class LeadWriter: Sendable {
    struct Pending: Sendable {
        let draft: LeadDraft
        let continuation: CheckedContinuation<LeadOutcome, any Error>
    }

    static let doubleSubmitWindow: TimeInterval = 5
    static let maxBatch = 512

    private let app: Application
    private let queue = Mutex<[Pending]>([])
    private let inFlightKeys = Mutex<Set<String>>([])
    private let signal: AsyncStream<Void>.Continuation
    private let signals: AsyncStream<Void>
    private let loop = Mutex<Task<Void, Never>?>(nil)

    init(app: Application) {
        self.app = app
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    var usesGroupCommit: Bool { !app.config.usesPostgres }

    /// Stores one lead and returns once it is committed (or known to be a replay).
    func submit(_ draft: LeadDraft) async throws -> LeadOutcome {
        let flightKey = draft.idempotencyKey.map { draft.organizationId.uuidString + "|" + $0 }
        if let flightKey {
            let claimed = inFlightKeys.withLock { $0.insert(flightKey).inserted }
            guard claimed else {
                throw AppError.conflict(
                    field: nil, message: "Une requête avec la même clé d'idempotence est en cours de traitement.")
            }
        }
        defer { if let flightKey { _ = inFlightKeys.withLock { $0.remove(flightKey) } } }

        if !usesGroupCommit {
            return try await storeAlone(draft)
        }
        start()
        return try await withCheckedThrowingContinuation { continuation in
            queue.withLock { $0.append(Pending(draft: draft, continuation: continuation)) }
            signal.yield(())
        }
    }

    /// Starts the writer task (SQLite only).
    func start() {
        guard usesGroupCommit else { return }
        loop.withLock { task in
            guard task == nil else { return }
            // Detached: the writer must not inherit the main actor of the code that starts it.
            task = Task.detached { [self] in
                for await _ in signals {
                    await drain()
                }
                await drain()
            }
        }
    }

    /// Commits what is queued and stops the writer task.
    func stop() async {
        signal.finish()
        let task = loop.withLock { $0 }
        await task?.value
    }

    private func drain() async {
        while true {
            let batch = queue.withLock { pending -> [Pending] in
                let taken = Array(pending.prefix(Self.maxBatch))
                pending.removeFirst(taken.count)
                return taken
            }
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    private func commit(_ batch: [Pending]) async {
        do {
            let drafts = batch.map(\.draft)
            let outcomes = try await app.db.transaction { tx in
                try await Self.store(drafts, on: tx as! any SQLDatabase)
            }
            for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(returning: outcome) }
        } catch {
            app.logger.error("lead batch of \(batch.count) not committed: \(String(reflecting: error))")
            if batch.count > 1 {
                // One bad item must not sink the others: commit them one by one.
                for item in batch { await commit([item]) }
            } else {
                batch[0].continuation.resume(throwing: Self.storageError)
            }
        }
    }

    static let storageError = Abort(
        .serviceUnavailable, headers: ["Retry-After": "5"],
        reason: "Le lead n'a pas pu être enregistré. Réessayez dans quelques secondes.")

    private func storeAlone(_ draft: LeadDraft) async throws -> LeadOutcome {
        for attempt in 1...3 {
            do {
                return try await app.db.transaction { tx in
                    let sql = tx as! any SQLDatabase
                    // Serialize submissions of one phone number across servers, so that duplicate and
                    // double-submit detection see each other.
                    try await sql.raw(
                        "SELECT pg_advisory_xact_lock(hashtext(\(bind: draft.organizationId.uuidString + draft.lead.phone.e164)))"
                    ).run()
                    return try await Self.store([draft], on: sql)[0]
                }
            } catch let error as any DatabaseError where error.isConstraintFailure && attempt < 3 {
                // A concurrent request with the same idempotency key committed first: look again.
                continue
            } catch let error as AppError {
                throw error
            } catch {
                app.logger.error("lead not committed: \(String(reflecting: error))")
                throw Self.storageError
            }
        }
        throw Self.storageError
    }

    /// The rules of a batch of submissions, inside the caller's transaction, in arrival order:
    /// idempotency key, double submit, duplicate, then the inserts. A handful of statements per
    /// batch whatever its size: lookups with IN lists, multi-row inserts.
    static func store(_ drafts: [LeadDraft], on sql: any SQLDatabase) async throws -> [LeadOutcome] {
        var outcomes = [LeadOutcome?](repeating: nil, count: drafts.count)

        // Every lookup is made per organization, so that the (organization_id, …) indexes serve it.
        let organizations = Array(Set(drafts.map(\.organizationId)))

        // 1. Idempotency keys seen before.
        var known: [String: (hash: String, status: Int, body: String)] = [:]
        for organization in organizations {
            let keys = Array(Set(drafts.filter { $0.organizationId == organization }.compactMap(\.idempotencyKey)))
            for chunk in keys.chunked(300) {
            let rows = try await sql.select()
                .columns("organization_id", "key", "request_hash", "response_status", "response_body")
                .from("idempotency_keys").where("organization_id", .equal, organization).where("key", .in, chunk).all()
            for row in rows {
                let org = try row.decode(column: "organization_id", as: UUID.self)
                let key = try row.decode(column: "key", as: String.self)
                known[org.uuidString + "|" + key] = (
                    try row.decode(column: "request_hash", as: String.self),
                    try row.decode(column: "response_status", as: Int.self),
                    try row.decode(column: "response_body", as: String.self)
                )
            }
            }
        }
        for (index, draft) in drafts.enumerated() {
            guard let key = draft.idempotencyKey, let previous = known[draft.organizationId.uuidString + "|" + key] else {
                continue
            }
            outcomes[index] =
                previous.hash == draft.submissionHash
                ? .replayed(status: previous.status, body: previous.body) : .idempotencyMismatch
        }

        // 2. Recent leads of the same sessions (double submits) and of the same phones (duplicates).
        let open = drafts.indices.filter { outcomes[$0] == nil }
        var recentBySession: [String: [RecentLead]] = [:]
        var recentByPhone: [String: [RecentLead]] = [:]
        for organization in organizations {
            let mine = open.filter { drafts[$0].organizationId == organization }
            guard let oldest = mine.map({ drafts[$0].receivedAt }).min() else { continue }
            let sessions = Array(Set(mine.compactMap { drafts[$0].lead.attribution["session_id"] }))
            for chunk in sessions.chunked(300) {
                let rows = try await sql.select().columns(RecentLead.columns).from("leads")
                    .where("organization_id", .equal, organization).where("session_id", .in, chunk)
                    .where("created_at", .greaterThanOrEqual, oldest.addingTimeInterval(-doubleSubmitWindow)).all()
                for row in rows {
                    let recent = try RecentLead(row)
                    recentBySession[recent.sessionKey, default: []].append(recent)
                }
            }
            let phones = Array(Set(mine.map { drafts[$0].lead.phone.e164 }))
            let earliest = mine.map { DuplicateWindow.start(for: drafts[$0].receivedAt, hours: drafts[$0].duplicateWindowHours) }
                .min()!
            for chunk in phones.chunked(300) {
                let rows = try await sql.select().columns(RecentLead.columns).from("leads")
                    .where("organization_id", .equal, organization).where("phone", .in, chunk)
                    .where("created_at", .greaterThanOrEqual, earliest).where("erased_at", .is, SQLLiteral.null).all()
                for row in rows {
                    let recent = try RecentLead(row)
                    recentByPhone[recent.phoneKey, default: []].append(recent)
                }
            }
        }

        // 3. Decide each open draft in order; what this batch stores is seen by the drafts after it.
        var newLeads: [(LeadDraft, StoredLead)] = []
        var remembered: [(LeadDraft, StoredLead)] = []
        for index in open {
            let draft = drafts[index]
            let session = draft.lead.attribution["session_id"]
            if let session {
                let window = draft.receivedAt.addingTimeInterval(-doubleSubmitWindow)
                let same = (recentBySession[draft.organizationId.uuidString + "|" + session] ?? [])
                    .filter { $0.submissionHash == draft.submissionHash && $0.createdAt >= window }
                if let first = same.min(by: { $0.createdAt < $1.createdAt }) {
                    outcomes[index] = .doubleSubmit(first.stored)
                    if draft.idempotencyKey != nil { remembered.append((draft, first.stored)) }
                    continue
                }
            }
            let windowStart = DuplicateWindow.start(for: draft.receivedAt, hours: draft.duplicateWindowHours)
            let phoneKey = RecentLead.phoneKey(draft.organizationId, draft.lead.phone.e164, draft.productType)
            let earlier = (recentByPhone[phoneKey] ?? []).filter { $0.createdAt >= windowStart }
                .min { ($0.createdAt, $0.id.uuidString) < ($1.createdAt, $1.id.uuidString) }
            let duplicateOf = earlier.map { $0.duplicateOf ?? $0.id }
            let stored = StoredLead(
                id: draft.id, status: duplicateOf == nil ? .received : .duplicate, duplicateOf: duplicateOf,
                formCode: draft.formCode, createdAt: draft.receivedAt)
            let recent = RecentLead(draft: draft, stored: stored)
            recentByPhone[phoneKey, default: []].append(recent)
            if session != nil { recentBySession[recent.sessionKey, default: []].append(recent) }
            outcomes[index] = .stored(stored)
            newLeads.append((draft, stored))
            if draft.idempotencyKey != nil { remembered.append((draft, stored)) }
        }

        // 4. The inserts: leads, their first timeline event, the idempotency records.
        if let sqlite = sql as? any SQLiteDatabase {
            // The hot path on SQLite: values converted directly, one multi-row statement per chunk
            // (SQLKit's Codable encoding of ~50 binds per lead would cost more than the commit).
            for chunk in newLeads.chunked(200) {
                try await insertRows(
                    into: "leads", columns: leadColumns, rows: chunk.map { leadRow($0.0, stored: $0.1) }, on: sqlite)
            }
        } else {
            for chunk in newLeads.chunked(200) {
            var insert = sql.insert(into: "leads").columns(leadColumns)
            for (draft, stored) in chunk {
                insert = insert.values(leadValues(draft, stored: stored).map { SQLBind($0) })
            }
            try await insert.run()
            }
        }
        for chunk in newLeads.chunked(500) {
            if let sqlite = sql as? any SQLiteDatabase {
                let rows: [[SQLiteData]] = chunk.map { draft, stored in
                    let duplicate = stored.status == .duplicate
                    return [
                        .text(UUID().uuidString), .text(draft.organizationId.uuidString), .text(draft.id.uuidString),
                        .text(duplicate ? "duplicate" : "received"), .text(eventSummary(draft, duplicate: duplicate)), .null,
                        .float(draft.receivedAt.timeIntervalSince1970),
                    ]
                }
                try await insertRows(
                    into: "lead_events",
                    columns: ["id", "organization_id", "lead_id", "kind", "summary", "user_email", "created_at"], rows: rows,
                    on: sqlite)
                continue
            }
            var insert = sql.insert(into: "lead_events")
                .columns("id", "organization_id", "lead_id", "kind", "summary", "user_email", "created_at")
            for (draft, stored) in chunk {
                let duplicate = stored.status == .duplicate
                let summary = eventSummary(draft, duplicate: duplicate)
                insert = insert.values(
                    SQLBind(UUID()), SQLBind(draft.organizationId), SQLBind(draft.id),
                    SQLBind(duplicate ? "duplicate" : "received"), SQLBind(summary), SQLBind(String?.none),
                    SQLBind(draft.receivedAt))
            }
            try await insert.run()
        }
        for chunk in remembered.chunked(300) {
            var insert = sql.insert(into: "idempotency_keys")
                .columns("id", "organization_id", "key", "request_hash", "lead_id", "response_status", "response_body",
                         "created_at")
            for (draft, answer) in chunk {
                insert = insert.values(
                    SQLBind(UUID()), SQLBind(draft.organizationId), SQLBind(draft.idempotencyKey!),
                    SQLBind(draft.submissionHash), SQLBind(answer.id), SQLBind(201), SQLBind(answerJSON(answer.answer)),
                    SQLBind(draft.receivedAt))
            }
            try await insert.run()
        }
        return outcomes.map { $0! }
    }

    private static func eventSummary(_ draft: LeadDraft, duplicate: Bool) -> String {
        duplicate
            ? "Reçu via \(draft.formCode) : doublon d'un lead du même numéro pour \(draft.productType), non envoyé"
            : "Reçu via \(draft.formCode)"
    }

    /// A lead already stored (or stored earlier in this batch), as the rules need it.
    struct RecentLead {
        static let columns = [
            "id", "organization_id", "session_id", "submission_hash", "status", "duplicate_of", "form_code",
            "created_at", "phone", "product_type",
        ]

        let id: UUID
        let organizationId: UUID
        let sessionId: String?
        let submissionHash: String
        let stored: StoredLead
        let duplicateOf: UUID?
        let createdAt: Date
        let phoneKey: String

        var sessionKey: String { organizationId.uuidString + "|" + (sessionId ?? "") }

        static func phoneKey(_ organizationId: UUID, _ phone: String, _ product: String) -> String {
            organizationId.uuidString + "|" + phone + "|" + product
        }

        init(_ row: any SQLRow) throws {
            id = try row.decode(column: "id", as: UUID.self)
            organizationId = try row.decode(column: "organization_id", as: UUID.self)
            sessionId = try row.decode(column: "session_id", as: String?.self)
            submissionHash = try row.decode(column: "submission_hash", as: String.self)
            duplicateOf = try row.decode(column: "duplicate_of", as: UUID?.self)
            createdAt = try row.decode(column: "created_at", as: Date.self)
            stored = StoredLead(
                id: id, status: LeadStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .received,
                duplicateOf: duplicateOf, formCode: try row.decode(column: "form_code", as: String.self),
                createdAt: createdAt)
            phoneKey = Self.phoneKey(
                organizationId, try row.decode(column: "phone", as: String.self),
                try row.decode(column: "product_type", as: String.self))
        }

        init(draft: LeadDraft, stored: StoredLead) {
            id = draft.id
            organizationId = draft.organizationId
            sessionId = draft.lead.attribution["session_id"]
            submissionHash = draft.submissionHash
            self.stored = stored
            duplicateOf = stored.duplicateOf
            createdAt = draft.receivedAt
            phoneKey = Self.phoneKey(draft.organizationId, draft.lead.phone.e164, draft.productType)
        }
    }

    /// `INSERT INTO table (columns) VALUES (?, …), (?, …)` with already converted values.
    private static func insertRows(
        into table: String, columns: [String], rows: [[SQLiteData]], on sqlite: any SQLiteDatabase
    ) async throws {
        guard !rows.isEmpty else { return }
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let statement =
            "INSERT INTO \"\(table)\" (" + columns.map { "\"\($0)\"" }.joined(separator: ",") + ") VALUES "
            + Array(repeating: placeholders, count: rows.count).joined(separator: ",")
        _ = try await sqlite.query(statement, rows.flatMap { $0 })
    }

    /// A lead row as SQLite values, encoded exactly as Fluent encodes them (UUIDs as text, dates as
    /// seconds since 1970, booleans as 0/1).
    private static func leadRow(_ d: LeadDraft, stored: StoredLead) -> [SQLiteData] {
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

    static let leadColumns = [
        "id", "organization_id", "form_id", "account_id", "crm_id", "landing_page_id", "diffusion_source_id",
        "product_type", "status", "duplicate_of", "phone", "civilite", "nom", "prenom", "email", "code_postal",
        "departement", "ville", "adresse", "type_logement", "statut_occupant", "surface_habitable", "chauffage_actuel",
        "facture_electricite", "extra", "form_code", "lp_code", "session_id", "visitor_id", "utm_source", "utm_medium",
        "utm_campaign", "utm_content", "utm_term", "gclid", "fbclid", "referrer", "page_url", "consent_phone",
        "consent_email", "consent_text", "consent_url", "consent_at", "ip", "user_agent", "submission_hash",
        "api_key_id", "created_at", "updated_at",
    ]

    private static func leadValues(_ d: LeadDraft, stored: StoredLead) -> [any Encodable & Sendable] {
        let lead = d.lead
        let a = lead.attribution
        return [
            d.id, d.organizationId, d.formId, d.accountId, d.crmId, d.landingPageId, d.diffusionSourceId, d.productType,
            stored.status.rawValue, stored.duplicateOf, lead.phone.e164, lead.civilite, lead.nom, lead.prenom,
            lead.email, lead.codePostal, lead.departement, lead.ville, lead.adresse, lead.typeLogement,
            lead.statutOccupant, lead.surfaceHabitable, lead.chauffageActuel, lead.factureElectricite,
            JSONText.encode(lead.extra), d.formCode, lead.lpCode, a["session_id"], a["visitor_id"], a["utm_source"],
            a["utm_medium"], a["utm_campaign"], a["utm_content"], a["utm_term"], a["gclid"], a["fbclid"],
            a["referrer"], a["page_url"], lead.consent.phone, lead.consent.email, lead.consent.text,
            lead.consent.url ?? a["page_url"], d.receivedAt, d.ip, d.userAgent, d.submissionHash, d.apiKeyId,
            d.receivedAt, d.receivedAt,
        ]
    }

    static func answerJSON(_ answer: LeadAnswer) -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(answer)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func insertEvent(
        leadId: UUID, organizationId: UUID, kind: String, summary: String, userEmail: String? = nil, at date: Date,
        on sql: any SQLDatabase
    ) async throws {
        try await sql.insert(into: "lead_events")
            .columns("id", "organization_id", "lead_id", "kind", "summary", "user_email", "created_at")
            .values(
                SQLBind(UUID()), SQLBind(organizationId), SQLBind(leadId), SQLBind(kind), SQLBind(summary),
                SQLBind(userEmail), SQLBind(date)
            ).run()
    }

}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}

extension Application {
    private struct LeadWriterKey: StorageKey { typealias Value = LeadWriter }

    var leadWriter: LeadWriter {
        get {
            guard let writer = storage[LeadWriterKey.self] else { fatalError("LeadWriter is set up in configure()") }
            return writer
        }
        set { storage[LeadWriterKey.self] = newValue }
    }
}

/// Starts the lead writer with the server and drains it on shutdown.
struct LeadWriterLifecycle: LifecycleHandler {
    func didBoot(_ application: Application) throws {
        application.leadWriter.start()
    }

    func shutdownAsync(_ application: Application) async {
        await application.leadWriter.stop()
    }
}
