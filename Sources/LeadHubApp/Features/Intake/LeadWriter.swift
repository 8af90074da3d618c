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
    let excludeFromRouting: Bool
    /// The organization's CRMs when the lead arrived.
    let routing: RoutingConfig
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
            id: id, status: status == .duplicate ? "duplicate" : "accepted", duplicateOf: duplicateOf,
            formCode: formCode,
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
    static let doubleSubmitWindow: TimeInterval = 5
    static let maxBatch = 512

    private let app: Application
    private let writer: WriterThread
    private let inFlightKeys = Mutex<Set<String>>([])
    private let checkpointer = Mutex<Task<Void, Never>?>(nil)
    /// Leads committed since the last checkpoint.
    private let uncheckpointed = Atomic<Int>(0)

    init(app: Application) {
        self.app = app
        writer = WriterThread(path: app.config.sqlitePath, logger: app.logger)
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

        let outcome: LeadOutcome
        if usesGroupCommit {
            start()
            outcome = try await withCheckedThrowingContinuation { continuation in
                writer.enqueue(Pending(draft: draft, continuation: continuation))
            }
            uncheckpointed.add(1, ordering: .relaxed)
        } else {
            outcome = try await storeAlone(draft)
        }
        // A new delivery may be waiting: the worker looks at once instead of at its next poll.
        if case .stored = outcome { app.deliveryWorker.wake() }
        return outcome
    }

    /// Runs a write of another kind on the lead writer's own SQLite connection, in a transaction of
    /// its own between two lead batches (SQLite only: one writer, no waiting in the busy handler).
    func perform(_ body: @escaping @Sendable (RawSQLite) throws -> Void) async throws {
        precondition(usesGroupCommit)
        start()
        try await writer.perform(body)
    }

    /// Starts the writer thread and the checkpoints (SQLite only).
    func start() {
        guard usesGroupCommit else { return }
        writer.start()
        checkpointer.withLock { task in
            guard task == nil else { return }
            task = Task.detached { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(500))
                    await checkpoint()
                }
            }
        }
    }

    /// Copies the WAL into the database file from a pool connection, outside the writer's
    /// commits. PASSIVE: it never blocks the writer; what it could not copy is copied next time.
    func checkpoint() async {
        guard uncheckpointed.exchange(0, ordering: .relaxed) > 0 else { return }
        do {
            try await (app.db as! any SQLDatabase).raw("PRAGMA wal_checkpoint(PASSIVE)").run()
        } catch {
            app.logger.warning("WAL checkpoint failed: \(String(reflecting: error))")
        }
    }

    /// Commits what is queued and stops the writer thread.
    func stop() async {
        await writer.stop()
        let checkpoints = checkpointer.withLock { $0 }
        checkpoints?.cancel()
        await checkpoints?.value
    }

    static let storageError = Abort(
        .serviceUnavailable, headers: ["Retry-After": "5"],
        reason: "Le lead n'a pas pu être enregistré. Réessayez dans quelques secondes.")

    private func storeAlone(_ draft: LeadDraft) async throws -> LeadOutcome {
        for attempt in 1...3 {
            do {
                return try await app.db.transaction { tx in
                    let sql = tx as! any SQLDatabase
                    // Serialize the submissions of an organization across servers: duplicate and
                    // double-submit detection see each other, and routing counters cannot be overrun.
                    try await sql.raw(
                        "SELECT pg_advisory_xact_lock(hashtext(\(bind: "routing:" + draft.organizationId.uuidString)))"
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

    /// What the rules need to know about earlier leads, gathered in a few queries per batch.
    struct Lookups {
        var known: [String: (hash: String, status: Int, body: String)] = [:]
        var bySession: [String: [RecentLead]] = [:]
        var byPhone: [String: [RecentLead]] = [:]
    }

    /// What the rules decided for a batch.
    struct Decision {
        var outcomes: [LeadOutcome]
        /// Leads to insert, with their first timeline event.
        var newLeads: [(LeadDraft, StoredLead)]
        /// Idempotency records to insert.
        var remembered: [(LeadDraft, StoredLead)]
    }

    /// The queries of a batch's lookups, per organization so that the (organization_id, …) indexes
    /// serve them: idempotency keys, sessions (double submits), phones (duplicates).
    struct LookupQuery {
        enum Kind { case keys, sessions, phones }
        let kind: Kind
        let organizationId: UUID
        let values: [String]
        let since: Date?
    }

    static func lookupQueries(_ drafts: [LeadDraft]) -> [LookupQuery] {
        var queries: [LookupQuery] = []
        for organization in Array(Set(drafts.map(\.organizationId))) {
            let mine = drafts.filter { $0.organizationId == organization }
            for chunk in Array(Set(mine.compactMap(\.idempotencyKey))).chunked(300) {
                queries.append(LookupQuery(kind: .keys, organizationId: organization, values: chunk, since: nil))
            }
            let oldest = mine.map(\.receivedAt).min()!.addingTimeInterval(-doubleSubmitWindow)
            for chunk in Array(Set(mine.compactMap { $0.lead.attribution["session_id"] })).chunked(300) {
                queries.append(LookupQuery(kind: .sessions, organizationId: organization, values: chunk, since: oldest))
            }
            let earliest = mine.map { DuplicateWindow.start(for: $0.receivedAt, hours: $0.duplicateWindowHours) }.min()!
            for chunk in Array(Set(mine.map { $0.lead.phone.e164 })).chunked(300) {
                queries.append(LookupQuery(kind: .phones, organizationId: organization, values: chunk, since: earliest))
            }
        }
        return queries
    }

    /// The rules of a batch of submissions, in arrival order: idempotency key, double submit,
    /// duplicate. What the batch stores is seen by the drafts after it.
    static func decide(_ drafts: [LeadDraft], _ lookups: Lookups) -> Decision {
        var outcomes = [LeadOutcome?](repeating: nil, count: drafts.count)
        var bySession = lookups.bySession
        var byPhone = lookups.byPhone
        var newLeads: [(LeadDraft, StoredLead)] = []
        var remembered: [(LeadDraft, StoredLead)] = []
        for (index, draft) in drafts.enumerated() {
            if let key = draft.idempotencyKey, let previous = lookups.known[draft.organizationId.uuidString + "|" + key]
            {
                outcomes[index] =
                    previous.hash == draft.submissionHash
                    ? .replayed(status: previous.status, body: previous.body) : .idempotencyMismatch
                continue
            }
            let session = draft.lead.attribution["session_id"]
            if let session {
                let window = draft.receivedAt.addingTimeInterval(-doubleSubmitWindow)
                let same = (bySession[draft.organizationId.uuidString + "|" + session] ?? [])
                    .filter { $0.submissionHash == draft.submissionHash && $0.createdAt >= window }
                if let first = same.min(by: { $0.createdAt < $1.createdAt }) {
                    outcomes[index] = .doubleSubmit(first.stored)
                    if draft.idempotencyKey != nil { remembered.append((draft, first.stored)) }
                    continue
                }
            }
            let windowStart = DuplicateWindow.start(for: draft.receivedAt, hours: draft.duplicateWindowHours)
            let phoneKey = RecentLead.phoneKey(draft.organizationId, draft.lead.phone.e164, draft.productType)
            let earlier = (byPhone[phoneKey] ?? []).filter { $0.createdAt >= windowStart }
                .min { ($0.createdAt, $0.id.uuidString) < ($1.createdAt, $1.id.uuidString) }
            let duplicateOf = earlier.map { $0.duplicateOf ?? $0.id }
            let stored = StoredLead(
                id: draft.id, status: duplicateOf == nil ? .received : .duplicate, duplicateOf: duplicateOf,
                formCode: draft.formCode, createdAt: draft.receivedAt)
            let recent = RecentLead(draft: draft, stored: stored)
            byPhone[phoneKey, default: []].append(recent)
            if session != nil { bySession[recent.sessionKey, default: []].append(recent) }
            outcomes[index] = .stored(stored)
            newLeads.append((draft, stored))
            if draft.idempotencyKey != nil { remembered.append((draft, stored)) }
        }
        return Decision(outcomes: outcomes.map { $0! }, newLeads: newLeads, remembered: remembered)
    }

    /// The whole batch through SQLKit, inside the caller's transaction (PostgreSQL, and tests).
    static func store(_ drafts: [LeadDraft], on sql: any SQLDatabase) async throws -> [LeadOutcome] {
        var lookups = Lookups()
        for query in lookupQueries(drafts) {
            var select = sql.select().from(query.kind == .keys ? "idempotency_keys" : "leads")
                .where("organization_id", .equal, query.organizationId)
            switch query.kind {
            case .keys:
                select = select.columns("organization_id", "key", "request_hash", "response_status", "response_body")
                    .where("key", .in, query.values)
            case .sessions:
                select = select.columns(RecentLead.columns).where("session_id", .in, query.values)
                    .where("created_at", .greaterThanOrEqual, query.since!)
            case .phones:
                select = select.columns(RecentLead.columns).where("phone", .in, query.values)
                    .where("created_at", .greaterThanOrEqual, query.since!).where("erased_at", .is, SQLLiteral.null)
            }
            for row in try await select.all() {
                switch query.kind {
                case .keys:
                    let org = try row.decode(column: "organization_id", as: UUID.self)
                    let key = try row.decode(column: "key", as: String.self)
                    lookups.known[org.uuidString + "|" + key] = (
                        try row.decode(column: "request_hash", as: String.self),
                        try row.decode(column: "response_status", as: Int.self),
                        try row.decode(column: "response_body", as: String.self)
                    )
                case .sessions:
                    let recent = try RecentLead(row)
                    lookups.bySession[recent.sessionKey, default: []].append(recent)
                case .phones:
                    let recent = try RecentLead(row)
                    lookups.byPhone[recent.phoneKey, default: []].append(recent)
                }
            }
        }
        let decision = decide(drafts, lookups)
        var counters: [CounterKey: Int] = [:]
        for query in counterQueries(decision.newLeads) {
            let rows = try await sql.select().columns("crm_id", "period", "count").from("routing_counters")
                .where("organization_id", .equal, query.organizationId).where("product_type", .equal, query.productType)
                .where("period", .in, query.periods).all()
            for row in rows {
                let key = CounterKey(
                    organizationId: query.organizationId, crmId: try row.decode(column: "crm_id", as: UUID.self),
                    productType: query.productType, period: try row.decode(column: "period", as: String.self))
                counters[key] = try row.decode(column: "count", as: Int.self)
            }
        }
        let plan = plan(decision.newLeads, counters: counters)
        for chunk in decision.newLeads.chunked(200) {
            var insert = sql.insert(into: "leads").columns(leadColumns)
            for (draft, stored) in chunk {
                insert = insert.values(
                    leadValues(draft, stored: stored, routed: plan.routed[draft.id]).map { SQLBind($0) })
            }
            try await insert.run()
        }
        for chunk in decision.newLeads.chunked(200) {
            var insert = sql.insert(into: "deliveries").columns(deliveryColumns)
            for (draft, _) in chunk {
                guard let routed = plan.routed[draft.id] else { continue }
                let waiting = routed.deliveryStatus == .pending
                insert = insert.values(
                    SQLBind(routed.deliveryId), SQLBind(draft.organizationId), SQLBind(draft.id),
                    SQLBind(routed.decision.destination), SQLBind(draft.productType),
                    SQLBind(routed.deliveryStatus.rawValue),
                    SQLBind(0), SQLBind(waiting ? draft.receivedAt : nil),
                    SQLBind(waiting ? nil : routed.decision.explanation),
                    SQLBind(draft.receivedAt), SQLBind(draft.receivedAt))
            }
            try await insert.run()
        }
        for (key, delta) in plan.increments {
            try await sql.raw(
                """
                INSERT INTO "routing_counters" ("organization_id", "crm_id", "product_type", "period", "count")
                VALUES (\(bind: key.organizationId), \(bind: key.crmId), \(bind: key.productType), \(bind: key.period), \(bind: delta))
                ON CONFLICT ("organization_id", "crm_id", "product_type", "period")
                DO UPDATE SET "count" = "routing_counters"."count" + excluded."count"
                """
            ).run()
        }
        try await stats(decision.newLeads).write(on: sql)
        for chunk in decision.remembered.chunked(300) {
            var insert = sql.insert(into: "idempotency_keys").columns(idempotencyColumns)
            for (draft, answer) in chunk {
                insert = insert.values(
                    SQLBind(UUID()), SQLBind(draft.organizationId), SQLBind(draft.idempotencyKey!),
                    SQLBind(draft.submissionHash), SQLBind(answer.id), SQLBind(201), SQLBind(answerJSON(answer.answer)),
                    SQLBind(draft.receivedAt))
            }
            try await insert.run()
        }
        return decision.outcomes
    }

    static let eventColumns = ["id", "organization_id", "lead_id", "kind", "summary", "user_email", "created_at"]
    static let idempotencyColumns = [
        "id", "organization_id", "key", "request_hash", "lead_id", "response_status", "response_body", "created_at",
    ]

    /// The first line of a lead's timeline.
    static func eventSummary(formCode: String, productType: String, duplicate: Bool) -> String {
        duplicate
            ? "Reçu via \(formCode) : doublon d'un lead du même numéro pour \(productType), non envoyé"
            : "Reçu via \(formCode)"
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

        init(
            id: UUID, organizationId: UUID, sessionId: String?, submissionHash: String, status: LeadStatus,
            duplicateOf: UUID?, formCode: String, createdAt: Date, phone: String, productType: String
        ) {
            self.id = id
            self.organizationId = organizationId
            self.sessionId = sessionId
            self.submissionHash = submissionHash
            self.duplicateOf = duplicateOf
            self.createdAt = createdAt
            stored = StoredLead(
                id: id, status: status, duplicateOf: duplicateOf, formCode: formCode, createdAt: createdAt)
            phoneKey = Self.phoneKey(organizationId, phone, productType)
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

    static let leadColumns = [
        "id", "organization_id", "form_id", "account_id", "crm_id", "landing_page_id", "diffusion_source_id",
        "product_type", "status", "duplicate_of", "phone", "civilite", "nom", "prenom", "email", "code_postal",
        "departement", "ville", "adresse", "type_logement", "statut_occupant", "surface_habitable", "chauffage_actuel",
        "facture_electricite", "extra", "form_code", "lp_code", "session_id", "visitor_id", "utm_source", "utm_medium",
        "utm_campaign", "utm_content", "utm_term", "gclid", "fbclid", "referrer", "page_url", "consent_phone",
        "consent_email", "consent_text", "consent_url", "consent_at", "ip", "user_agent", "submission_hash",
        "api_key_id", "created_at", "updated_at", "routed_crm_id", "routing_reason", "routing_explanation", "rerouted",
        "unit_price_cents",
    ]

    static func leadValues(_ d: LeadDraft, stored: StoredLead, routed: RoutedLead?) -> [any Encodable & Sendable] {
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
            d.receivedAt, d.receivedAt, routed?.decision.destination, routed?.decision.reason.code,
            routed?.decision.explanation, routed?.decision.isRerouted ?? false, routed?.priceCents,
        ]
    }

    /// The `201` body, written by hand: it is built for every lead, and its fields are UUIDs, fixed
    /// words, a date and a form code (capitals, digits and dashes), none of which needs escaping.
    static func answerJSON(_ answer: LeadAnswer) -> String {
        var json = "{\"created_at\":\"" + answer.createdAt.formatted(.iso8601) + "\""
        if let original = answer.duplicateOf { json += ",\"duplicate_of\":\"" + original.uuidString + "\"" }
        json += ",\"form_code\":\"" + answer.formCode + "\",\"id\":\"" + answer.id.uuidString + "\""
        // What the first version's page code reads (`success`, `lead_id`, `message`): added, never renamed.
        json += ",\"lead_id\":\"" + answer.id.uuidString + "\""
        json += ",\"message\":\"" + V1Compat.acceptedMessage(duplicate: answer.status == "duplicate") + "\""
        json += ",\"status\":\"" + answer.status + "\",\"success\":true}"
        return json
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

/// A submission waiting for the writer.
struct Pending: Sendable {
    let draft: LeadDraft
    let continuation: CheckedContinuation<LeadOutcome, any Error>
}

/// The group commit: one thread that owns the writer's SQLite connection. It sleeps until
/// submissions arrive, takes everything queued (up to `LeadWriter.maxBatch`), commits it in one
/// transaction and answers each submission, then takes what arrived meanwhile. Running the whole
/// cycle on one thread keeps the commit path free of thread hops.
final class WriterThread: @unchecked Sendable {
    private let path: String
    private let logger: Logger
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [Pending] = []
    /// Other writes that run on this connection between lead batches (tracking events).
    private var jobs: [Job] = []
    private var started = false
    private var stopping = false
    private var finished: [CheckedContinuation<Void, Never>] = []
    private var done = false
    // Used only on the writer thread.
    private var store: SQLiteLeadStore?

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        let thread = Thread { [self] in run() }
        thread.name = "leadhub-lead-writer"
        thread.start()
    }

    struct Job: Sendable {
        let body: @Sendable (RawSQLite) throws -> Void
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// Runs `body` in a transaction of its own on the writer's connection.
    func perform(_ body: @escaping @Sendable (RawSQLite) throws -> Void) async throws {
        start()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            guard !stopping else {
                condition.unlock()
                continuation.resume(throwing: LeadWriter.storageError)
                return
            }
            jobs.append(Job(body: body, continuation: continuation))
            condition.signal()
            condition.unlock()
        }
    }

    func enqueue(_ item: Pending) {
        condition.lock()
        guard !stopping else {
            // Shutting down: refuse rather than leave the caller waiting (the client retries).
            condition.unlock()
            item.continuation.resume(throwing: LeadWriter.storageError)
            return
        }
        queue.append(item)
        condition.signal()
        condition.unlock()
    }

    /// Commits what is queued, closes the connection and ends the thread.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if done || !started {
                condition.unlock()
                continuation.resume()
                return
            }
            finished.append(continuation)
            stopping = true
            condition.signal()
            condition.unlock()
        }
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && jobs.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && jobs.isEmpty {
                condition.unlock()
                break
            }
            let batch = Array(queue.prefix(LeadWriter.maxBatch))
            queue.removeFirst(batch.count)
            let work = jobs
            jobs = []
            condition.unlock()
            if !batch.isEmpty { commit(batch) }
            for job in work { perform(job) }
        }
        store?.close()
        store = nil
        condition.lock()
        done = true
        let waiting = finished
        finished = []
        condition.unlock()
        for continuation in waiting { continuation.resume() }
    }

    private func perform(_ job: Job) {
        do {
            if store == nil { store = try SQLiteLeadStore(path: path) }
            try store!.transaction(job.body)
            job.continuation.resume()
        } catch {
            job.continuation.resume(throwing: error)
        }
    }

    private func commit(_ batch: [Pending]) {
        do {
            if store == nil { store = try SQLiteLeadStore(path: path) }
            let outcomes = try store!.commit(batch.map(\.draft))
            for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(returning: outcome) }
        } catch {
            logger.error("lead batch of \(batch.count) not committed: \(String(reflecting: error))")
            if batch.count > 1 {
                // One bad item must not sink the others: commit them one by one.
                for item in batch { commit([item]) }
            } else {
                batch[0].continuation.resume(throwing: LeadWriter.storageError)
            }
        }
    }
}
