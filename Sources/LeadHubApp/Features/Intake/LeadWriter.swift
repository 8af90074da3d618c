import Fluent
import Foundation
import LeadHubCore
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
            task = Task { [self] in
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
            let outcomes = try await app.db.transaction { tx in
                var results: [LeadOutcome] = []
                results.reserveCapacity(batch.count)
                for item in batch {
                    results.append(try await Self.store(item.draft, on: tx as! any SQLDatabase))
                }
                return results
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
                    return try await Self.store(draft, on: sql)
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

    /// The rules of one submission, inside the caller's transaction.
    static func store(_ draft: LeadDraft, on sql: any SQLDatabase) async throws -> LeadOutcome {
        if let key = draft.idempotencyKey,
            let row = try await sql.select().columns("request_hash", "response_status", "response_body")
                .from("idempotency_keys").where("organization_id", .equal, draft.organizationId)
                .where("key", .equal, key).first()
        {
            let hash = try row.decode(column: "request_hash", as: String.self)
            guard hash == draft.submissionHash else { return .idempotencyMismatch }
            return .replayed(
                status: try row.decode(column: "response_status", as: Int.self),
                body: try row.decode(column: "response_body", as: String.self))
        }

        if let session = draft.lead.attribution["session_id"],
            let row = try await sql.select().columns("id", "status", "duplicate_of", "form_code", "created_at")
                .from("leads").where("organization_id", .equal, draft.organizationId)
                .where("session_id", .equal, session).where("submission_hash", .equal, draft.submissionHash)
                .where("created_at", .greaterThanOrEqual, draft.receivedAt.addingTimeInterval(-doubleSubmitWindow))
                .orderBy("created_at").limit(1).first()
        {
            let first = try storedLead(row)
            try await remember(draft, answer: first, on: sql)
            return .doubleSubmit(first)
        }

        let windowStart = DuplicateWindow.start(for: draft.receivedAt, hours: draft.duplicateWindowHours)
        var duplicateOf: UUID? = nil
        if let row = try await sql.select().columns("id", "duplicate_of").from("leads")
            .where("organization_id", .equal, draft.organizationId).where("phone", .equal, draft.lead.phone.e164)
            .where("product_type", .equal, draft.productType).where("created_at", .greaterThanOrEqual, windowStart)
            .where("erased_at", .is, SQLLiteral.null)
            .orderBy("created_at").limit(1).first()
        {
            let original = try row.decode(column: "duplicate_of", as: UUID?.self)
            duplicateOf = try original ?? row.decode(column: "id", as: UUID.self)
        }
        let status: LeadStatus = duplicateOf == nil ? .received : .duplicate
        try await insertLead(draft, status: status, duplicateOf: duplicateOf, on: sql)
        let stored = StoredLead(
            id: draft.id, status: status, duplicateOf: duplicateOf, formCode: draft.formCode, createdAt: draft.receivedAt)
        try await insertEvent(
            leadId: draft.id, organizationId: draft.organizationId, kind: status == .duplicate ? "duplicate" : "received",
            summary: status == .duplicate
                ? "Reçu via \(draft.formCode) : doublon d'un lead du même numéro pour \(draft.productType), non envoyé"
                : "Reçu via \(draft.formCode)",
            at: draft.receivedAt, on: sql)
        try await remember(draft, answer: stored, on: sql)
        return .stored(stored)
    }

    private static func remember(_ draft: LeadDraft, answer: StoredLead, on sql: any SQLDatabase) async throws {
        guard let key = draft.idempotencyKey else { return }
        try await sql.insert(into: "idempotency_keys")
            .columns("id", "organization_id", "key", "request_hash", "lead_id", "response_status", "response_body",
                     "created_at")
            .values(
                SQLBind(UUID()), SQLBind(draft.organizationId), SQLBind(key), SQLBind(draft.submissionHash),
                SQLBind(answer.id), SQLBind(201), SQLBind(answerJSON(answer.answer)), SQLBind(draft.receivedAt)
            ).run()
    }

    static func answerJSON(_ answer: LeadAnswer) -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(answer)) ?? Data("{}".utf8), as: UTF8.self)
    }

    private static func storedLead(_ row: any SQLRow) throws -> StoredLead {
        StoredLead(
            id: try row.decode(column: "id", as: UUID.self),
            status: LeadStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .received,
            duplicateOf: try row.decode(column: "duplicate_of", as: UUID?.self),
            formCode: try row.decode(column: "form_code", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Date.self))
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

    private static func insertLead(_ d: LeadDraft, status: LeadStatus, duplicateOf: UUID?, on sql: any SQLDatabase)
        async throws
    {
        let lead = d.lead
        let a = lead.attribution
        let columns: [(String, any Encodable & Sendable)] = [
            ("id", d.id), ("organization_id", d.organizationId), ("form_id", d.formId), ("account_id", d.accountId),
            ("crm_id", d.crmId), ("landing_page_id", d.landingPageId), ("diffusion_source_id", d.diffusionSourceId),
            ("product_type", d.productType), ("status", status.rawValue), ("duplicate_of", duplicateOf),
            ("phone", lead.phone.e164), ("civilite", lead.civilite), ("nom", lead.nom), ("prenom", lead.prenom),
            ("email", lead.email), ("code_postal", lead.codePostal), ("departement", lead.departement),
            ("ville", lead.ville), ("adresse", lead.adresse), ("type_logement", lead.typeLogement),
            ("statut_occupant", lead.statutOccupant), ("surface_habitable", lead.surfaceHabitable),
            ("chauffage_actuel", lead.chauffageActuel), ("facture_electricite", lead.factureElectricite),
            ("extra", JSONText.encode(lead.extra)), ("form_code", d.formCode), ("lp_code", lead.lpCode),
            ("session_id", a["session_id"]), ("visitor_id", a["visitor_id"]), ("utm_source", a["utm_source"]),
            ("utm_medium", a["utm_medium"]), ("utm_campaign", a["utm_campaign"]), ("utm_content", a["utm_content"]),
            ("utm_term", a["utm_term"]), ("gclid", a["gclid"]), ("fbclid", a["fbclid"]), ("referrer", a["referrer"]),
            ("page_url", a["page_url"]), ("consent_phone", lead.consent.phone), ("consent_email", lead.consent.email),
            ("consent_text", lead.consent.text), ("consent_url", lead.consent.url ?? a["page_url"]),
            ("consent_at", d.receivedAt), ("ip", d.ip), ("user_agent", d.userAgent),
            ("submission_hash", d.submissionHash), ("api_key_id", d.apiKeyId), ("created_at", d.receivedAt),
            ("updated_at", d.receivedAt),
        ]
        try await sql.insert(into: "leads").columns(columns.map(\.0)).values(columns.map { SQLBind($0.1) }).run()
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
