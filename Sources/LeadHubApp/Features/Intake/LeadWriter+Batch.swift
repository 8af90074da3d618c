import Fluent
import Foundation
import LeadHubCore
import FluentSQLiteDriver
import SQLKit
import Synchronization
import Vapor

/// The batch: lookups of what the rules need, the rules (`IntakeRules`, in LeadHubCore), and the
/// inserts, through SQLKit (PostgreSQL, and tests and tools on SQLite). The SQLite writer runs the
/// same steps with raw statements (`SQLiteLeadStore`).
extension LeadWriter {
    typealias Lookups = IntakeRules.Lookups

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
        enum Kind { case keys, sessions, phones, addresses, visitors }
        let kind: Kind
        let organizationId: UUID
        let values: [String]
        let since: Date?
    }

    /// Repeats of an address or a visitor are counted up to this many (the score's last step is 5).
    static let repeatCountLimit = 6

    static func lookupQueries(_ drafts: [LeadDraft]) -> [LookupQuery] {
        var queries: [LookupQuery] = []
        for organization in Array(Set(drafts.map(\.organizationId))) {
            let mine = drafts.filter { $0.organizationId == organization }
            for chunk in Array(Set(mine.compactMap(\.idempotencyKey))).chunked(300) {
                queries.append(LookupQuery(kind: .keys, organizationId: organization, values: chunk, since: nil))
            }
            let oldest = mine.map(\.receivedAt).min()!.addingTimeInterval(-IntakeRules.doubleSubmitWindow)
            for chunk in Array(Set(mine.compactMap { $0.lead.attribution["session_id"] })).chunked(300) {
                queries.append(LookupQuery(kind: .sessions, organizationId: organization, values: chunk, since: oldest))
            }
            let earliest = mine.map { DuplicateWindow.start(for: $0.receivedAt, hours: $0.duplicateWindowHours) }.min()!
            for chunk in Array(Set(mine.map { $0.lead.phone.e164 }.filter { !$0.isEmpty })).chunked(300) {
                queries.append(LookupQuery(kind: .phones, organizationId: organization, values: chunk, since: earliest))
            }
            let dayBefore = mine.map(\.receivedAt).min()!.addingTimeInterval(-IntakeRules.repeatWindow)
            for chunk in Array(Set(mine.compactMap(\.repeatAddress))).chunked(300) {
                queries.append(
                    LookupQuery(kind: .addresses, organizationId: organization, values: chunk, since: dayBefore))
            }
            for chunk in Array(Set(mine.compactMap { $0.lead.attribution["visitor_id"] })).chunked(300) {
                queries.append(
                    LookupQuery(kind: .visitors, organizationId: organization, values: chunk, since: dayBefore))
            }
        }
        return queries
    }

    /// The rules of a batch of submissions, in arrival order (`IntakeRules`): idempotency key,
    /// double submit, duplicate. What the batch stores is seen by the drafts after it.
    static func decide(_ drafts: [LeadDraft], _ lookups: Lookups) -> Decision {
        let decision = IntakeRules.decide(drafts.map(\.candidate), lookups)
        // A new lead's answer carries its field errors and warnings; the record, its quality.
        func stored(_ lead: PriorLead, _ index: Int) -> StoredLead {
            var stored = StoredLead(lead)
            guard lead.id == drafts[index].id else { return stored }
            let draft = drafts[index]
            if draft.kept != nil, lead.status != .rejected, !draft.errors.isEmpty { stored.errors = draft.errors }
            if lead.status == .noConsent { stored.warnings = FieldErrors(["consent": [Self.noConsentWarning]]) }
            stored.quality = decision.quality[index]
            return stored
        }
        let outcomes: [LeadOutcome] = decision.verdicts.enumerated().map { index, verdict in
            switch verdict {
            case .store(let lead): .stored(stored(lead, index))
            case .replayed(let status, let body): .replayed(status: status, body: body)
            case .idempotencyMismatch: .idempotencyMismatch
            case .doubleSubmit(let first): .doubleSubmit(StoredLead(first))
            }
        }
        return Decision(
            outcomes: outcomes, newLeads: decision.newLeads.map { (drafts[$0.index], stored($0.lead, $0.index)) },
            remembered: decision.remembered.map { (drafts[$0.index], stored($0.lead, $0.index)) })
    }

    /// The whole batch through SQLKit, inside the caller's transaction (PostgreSQL, and tests).
    static func store(_ drafts: [LeadDraft], on sql: any SQLDatabase) async throws -> [LeadOutcome] {
        var lookups = Lookups()
        for query in lookupQueries(drafts) {
            if query.kind == .addresses || query.kind == .visitors {
                let column = SQLIdentifier(query.kind == .addresses ? "ip" : "visitor_id")
                for value in query.values {
                    // Bounded: past `repeatCountLimit` the score no longer changes, and an address
                    // that sent thousands of leads must not cost thousands of rows per lead.
                    let row = try await sql.raw(
                        """
                        SELECT COUNT(*) AS n FROM (SELECT 1 FROM "leads" WHERE "organization_id" = \(bind: query.organizationId)
                        AND \(column) = \(bind: value) AND "created_at" >= \(bind: query.since!)
                        AND "status" NOT IN (\(unsafeRaw: LeadStatus.notRepeatSQL))
                        LIMIT \(unsafeRaw: String(Self.repeatCountLimit))) AS recent
                        """
                    ).first()
                    let count = try row?.decode(column: "n", as: Int.self) ?? 0
                    let key = IntakeRules.addressKey(query.organizationId, value)
                    if query.kind == .addresses {
                        lookups.recentByAddress[key] = count
                    } else {
                        lookups.recentByVisitor[key] = count
                    }
                }
                continue
            }
            var select = sql.select().from(query.kind == .keys ? "idempotency_keys" : "leads")
                .where("organization_id", .equal, query.organizationId)
            switch query.kind {
            case .keys:
                select = select.columns("organization_id", "key", "request_hash", "response_status", "response_body")
                    .where("key", .in, query.values)
            case .sessions:
                select = select.columns(PriorLead.columns).where("session_id", .in, query.values)
                    .where("created_at", .greaterThanOrEqual, query.since!)
            case .phones, .addresses, .visitors:
                select = select.columns(PriorLead.columns).where("phone", .in, query.values)
                    .where("created_at", .greaterThanOrEqual, query.since!).where("erased_at", .is, SQLLiteral.null)
            }
            for row in try await select.all() {
                switch query.kind {
                case .keys:
                    let org = try row.decode(column: "organization_id", as: UUID.self)
                    let key = try row.decode(column: "key", as: String.self)
                    lookups.known[IntakeRules.keyKey(org, key)] = IntakeRules.KnownKey(
                        hash: try row.decode(column: "request_hash", as: String.self),
                        status: try row.decode(column: "response_status", as: Int.self),
                        body: try row.decode(column: "response_body", as: String.self))
                case .sessions:
                    let prior = try PriorLead(row)
                    lookups.bySession[prior.sessionKey, default: []].append(prior)
                case .phones, .addresses, .visitors:
                    let prior = try PriorLead(row)
                    lookups.byPhone[prior.phoneKey, default: []].append(prior)
                }
            }
        }
        let decision = decide(drafts, lookups)
        let counters = try await readCounters(counterQueries(decision.newLeads), on: sql)
        let plan = plan(decision.newLeads, counters: counters)
        let rows = decision.newLeads.map { NewLeadRow(draft: $0.0, stored: $0.1, routed: plan.routed[$0.0.id]) }
        try await IntakeRows.lead.insert(rows, on: sql)
        try await IntakeRows.delivery.insert(rows.filter { $0.routed != nil }, on: sql)
        try await addToCounters(plan.increments, on: sql)
        try await stats(decision.newLeads).write(on: sql)
        try await IntakeRows.idempotency.insert(
            decision.remembered.map { IdempotencyRow(id: UUID(), draft: $0.0, answer: $0.1) }, chunk: 300, on: sql)
        return decision.outcomes
    }

    /// The routing counters the queries name, through SQLKit (inside the caller's transaction).
    static func readCounters(_ queries: [CounterQuery], on sql: any SQLDatabase) async throws -> [CounterKey: Int] {
        var counters: [CounterKey: Int] = [:]
        for query in queries {
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
        return counters
    }

    /// Adds a routing plan's increments to the counters, through SQLKit.
    static func addToCounters(_ increments: [CounterKey: Int], on sql: any SQLDatabase) async throws {
        for (key, delta) in increments {
            try await sql.raw(
                """
                INSERT INTO "routing_counters" ("organization_id", "crm_id", "product_type", "period", "count")
                VALUES (\(bind: key.organizationId), \(bind: key.crmId), \(bind: key.productType), \(bind: key.period), \(bind: delta))
                ON CONFLICT ("organization_id", "crm_id", "product_type", "period")
                DO UPDATE SET "count" = "routing_counters"."count" + excluded."count"
                """
            ).run()
        }
    }

    static let noConsentWarning =
        "Pas de consentement téléphonique : le lead est enregistré mais ne sera pas transmis aux CRM."

    static let eventColumns = ["id", "organization_id", "lead_id", "kind", "summary", "user_email", "created_at"]

    /// The first line of a lead's timeline.
    static func eventSummary(formCode: String, productType: String, duplicate: Bool) -> String {
        duplicate
            ? "Reçu via \(formCode) : doublon d'un lead du même numéro pour \(productType), non envoyé"
            : "Reçu via \(formCode)"
    }

    /// The `201` body, written by hand: it is built for every lead, and its fields are UUIDs, fixed
    /// words, a date and a form code (capitals, digits and dashes), none of which needs escaping.
    static func answerJSON(_ answer: LeadAnswer) -> String {
        var json = "{\"created_at\":\"" + answer.createdAt.formatted(.iso8601) + "\""
        if let original = answer.duplicateOf { json += ",\"duplicate_of\":\"" + original.text + "\"" }
        json += ",\"form_code\":\"" + answer.formCode + "\",\"id\":\"" + answer.id.text + "\""
        // What the first version's page code reads (`success`, `lead_id`, `message`): added, never renamed.
        json += ",\"lead_id\":\"" + answer.id.text + "\""
        json += ",\"message\":\"" + V1Compat.acceptedMessage(status: answer.status) + "\""
        json += ",\"status\":\"" + answer.status + "\",\"success\":true"
        // Kept with errors or warnings (rare): messages in French, escaped by the encoder.
        if let errors = answer.errors { json += ",\"errors\":" + JSONText.encode(errors) }
        if let warnings = answer.warnings { json += ",\"warnings\":" + JSONText.encode(warnings) }
        return json + "}"
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

extension LeadDraft {
    /// The draft as the intake rules see it.
    var candidate: IntakeCandidate {
        var candidate = IntakeCandidate(
            id: id, organizationId: organizationId, idempotencyKey: idempotencyKey, submissionHash: submissionHash,
            sessionId: lead.attribution["session_id"], phone: lead.phone.e164, productType: productType,
            formCode: formCode, receivedAt: receivedAt, duplicateWindowHours: duplicateWindowHours)
        candidate.ip = repeatAddress
        candidate.visitorId = lead.attribution["visitor_id"]
        candidate.kept = kept
        candidate.quality = quality
        candidate.holdThreshold = policy.holdThreshold
        candidate.rejectThreshold = policy.rejectThreshold
        candidate.consentMissing = policy.requirePhoneConsent && !lead.consent.phone
        return candidate
    }
}

extension StoredLead {
    init(_ lead: PriorLead) {
        self.init(
            id: lead.id, status: lead.status, duplicateOf: lead.duplicateOf, formCode: lead.formCode,
            createdAt: lead.createdAt)
    }
}

extension PriorLead {
    /// The columns of `leads` the rules read.
    static let columns = [
        "id", "organization_id", "session_id", "submission_hash", "status", "duplicate_of", "form_code",
        "created_at", "phone", "product_type",
    ]

    /// A row selected with `PriorLead.columns` through SQLKit.
    init(_ row: any SQLRow) throws {
        self.init(
            id: try row.decode(column: "id", as: UUID.self),
            organizationId: try row.decode(column: "organization_id", as: UUID.self),
            sessionId: try row.decode(column: "session_id", as: String?.self),
            submissionHash: try row.decode(column: "submission_hash", as: String.self),
            status: LeadStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .received,
            duplicateOf: try row.decode(column: "duplicate_of", as: UUID?.self),
            formCode: try row.decode(column: "form_code", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            phone: try row.decode(column: "phone", as: String.self),
            productType: try row.decode(column: "product_type", as: String.self))
    }
}
