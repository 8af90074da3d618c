import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// The outbox: claiming due deliveries with a lease, turning each into an HTTP request, and
/// settling it after the attempt. Used by `DeliveryWorker`; the lease makes a crash harmless (an
/// expired lease is claimed again and the lead is sent again with the same delivery id).
enum DeliveryService {
    /// A claimed delivery with what sending it needs.
    struct Job: Sendable {
        let deliveryId: UUID
        let organizationId: UUID
        let leadId: UUID
        let crmId: UUID
        let attempts: Int
        let request: OutgoingRequest?
        /// Why it cannot be sent (no URL, no token): settled at once as needing a human.
        let problem: DeliveryOutcome?
        /// Where the lead is counted in the dashboard aggregates (its delivery adds to them).
        var stats: LeadStatsRef? = nil
    }

    /// Claims up to `limit` due deliveries for this owner, skipping the CRMs in `excluding`.
    static func claim(
        limit: Int, owner: String, lease: TimeInterval, excluding: Set<UUID>, crmId: UUID? = nil, now: Date,
        on db: any Database
    ) async throws -> [UUID] {
        guard limit > 0 else { return [] }
        let sql = db as! any SQLDatabase
        let postgres = sql.dialect.name == "postgresql"
        var exclusion = SQLRaw(crmId.map { " AND \"crm_id\" = '\($0.text)'" } ?? "")
        if !excluding.isEmpty {
            exclusion = SQLRaw(
                exclusion.sql + " AND \"crm_id\" NOT IN ("
                    + excluding.map { "'\($0.text)'" }
                    .joined(separator: ",") + ")")
        }
        // SQLite: INDEXED BY, or the planner sorts every waiting row on each claim (PostgreSQL picks
        // the partial index itself).
        let rows = try await sql.raw(
            """
            UPDATE "deliveries" SET "lease_owner" = \(bind: owner), "lease_until" = \(bind: now.addingTimeInterval(lease))
            WHERE "id" IN (
                SELECT "id" FROM "deliveries"\(unsafeRaw: postgres ? "" : crmId == nil ? " INDEXED BY \"deliveries_waiting_idx\"" : " INDEXED BY \"deliveries_crm_waiting_idx\"")
                WHERE "status" IN ('pending', 'retrying') AND "next_attempt_at" <= \(bind: now)
                  AND ("lease_until" IS NULL OR "lease_until" < \(bind: now))\(exclusion)
                ORDER BY "next_attempt_at" LIMIT \(bind: limit)\(unsafeRaw: postgres ? " FOR UPDATE SKIP LOCKED" : "")
            )
            RETURNING "id"
            """
        ).all()
        return try rows.map { try $0.decode(column: "id", as: UUID.self) }
    }

    /// Attempts and successful ones (delivered, or a duplicate at the CRM) since a moment, for one
    /// CRM or a whole organization, optionally until another moment.
    static func attemptCounts(
        crmId: UUID? = nil, organizationId: UUID? = nil, from: Date, to: Date? = nil, on db: any Database
    )
        async throws -> (attempts: Int, successes: Int)
    {
        var query = (db as! any SQLDatabase).select().column("outcome")
            .column(SQLFunction("count", args: SQLLiteral.all), as: "n").from("delivery_attempts")
            .where("started_at", .greaterThanOrEqual, from)
        if let crmId { query = query.where("crm_id", .equal, crmId) }
        if let organizationId { query = query.where("organization_id", .equal, organizationId) }
        if let to { query = query.where("started_at", .lessThan, to) }
        var attempts = 0
        var successes = 0
        for row in try await query.groupBy("outcome").all() {
            let n = try row.decode(column: "n", as: Int.self)
            attempts += n
            if ["delivered", "duplicate"].contains(try row.decode(column: "outcome", as: String.self)) {
                successes += n
            }
        }
        return (attempts, successes)
    }

    /// Gives claimed deliveries back without an attempt (more than a CRM may take at once).
    static func release(_ ids: [UUID], owner: String, on db: any Database) async throws {
        guard !ids.isEmpty else { return }
        try await (db as! any SQLDatabase).update("deliveries").set("lease_owner", to: SQLLiteral.null)
            .set("lease_until", to: SQLLiteral.null).where("id", .in, ids).where("lease_owner", .equal, owner).run()
    }

    /// What a delivery needs of its lead: read by column through SQLKit (not as a Fluent model,
    /// whose reflection-based decoding of ~60 fields cost more than the send itself).
    struct LeadRow: Sendable {
        let deliveryId: UUID
        let organizationId: UUID
        let crmId: UUID?
        let attempts: Int
        let leadId: UUID
        let originCrmId: UUID
        let accountId: UUID
        let formId: UUID
        let outgoing: OutgoingLead
        let stats: LeadStatsRef

        static let fieldColumns = [
            "civilite", "nom", "prenom", "email", "code_postal", "departement", "ville", "adresse", "type_logement",
            "statut_occupant", "chauffage_actuel", "facture_electricite",
        ]

        init(_ row: any SQLRow) throws {
            deliveryId = try row.decode(column: "delivery_id", as: UUID.self)
            organizationId = try row.decode(column: "organization_id", as: UUID.self)
            crmId = try row.decode(column: "delivery_crm_id", as: UUID?.self)
            attempts = try row.decode(column: "attempts", as: Int.self)
            leadId = try row.decode(column: "lead_id", as: UUID.self)
            originCrmId = try row.decode(column: "crm_id", as: UUID.self)
            accountId = try row.decode(column: "account_id", as: UUID.self)
            formId = try row.decode(column: "form_id", as: UUID.self)
            var fields: [String: String] = [:]
            for name in Self.fieldColumns {
                if let value = try row.decode(column: name, as: String?.self), !value.isEmpty { fields[name] = value }
            }
            if let surface = try row.decode(column: "surface_habitable", as: Int?.self) {
                fields["surface_habitable"] = String(surface)
            }
            let createdAt = try row.decode(column: "created_at", as: Date.self)
            let product = try row.decode(column: "product_type", as: String.self)
            let text = StatsIncrements.text
            stats = LeadStatsRef(
                hourKey: .init(
                    organizationId: organizationId, hour: StatsHour.bucket(createdAt),
                    lp: text(try row.decode(column: "landing_page_id", as: UUID?.self)), form: text(formId),
                    account: text(accountId), crm: text(originCrmId),
                    source: text(try row.decode(column: "diffusion_source_id", as: UUID?.self)), product: product),
                dayKey: .init(
                    organizationId: organizationId, day: ParisDay.number(createdAt),
                    departement: fields["departement"] ?? "",
                    account: text(accountId), crm: text(originCrmId), product: product))
            var consent: [String: String] = [
                "consent_phone": try row.decode(column: "consent_phone", as: Bool.self) ? "true" : "false",
                "consent_email": try row.decode(column: "consent_email", as: Bool.self) ? "true" : "false",
                "consent_at": try row.decode(column: "consent_at", as: Date.self).formatted(.iso8601),
            ]
            let texts = [
                ("consent_text", "consent_text"), ("consent_text_hash", "consent_hash"),
                ("consent_partners_version", "consent_partners_version"), ("consent_url", "consent_url"),
                ("consent_ip", "ip"), ("consent_user_agent", "user_agent"),
            ]
            for (name, column) in texts {
                if let value = try row.decode(column: column, as: String?.self), !value.isEmpty {
                    consent[name] = value
                }
            }
            outgoing = OutgoingLead(
                id: leadId, phoneE164: try row.decode(column: "phone", as: String.self),
                receivedAt: createdAt, productType: product,
                formCode: try row.decode(column: "form_code", as: String.self), fields: fields,
                extra: JSONText.decode(
                    [String: JSONValue].self, from: try row.decode(column: "extra", as: String.self), default: [:]),
                consent: consent)
        }
    }

    /// Loads what the claimed deliveries need and builds their requests.
    static func jobs(_ ids: [UUID], secrets: SecretBox, timeout: TimeInterval, on db: any Database) async throws
        -> [Job]
    {
        guard !ids.isEmpty else { return [] }
        let sql = db as! any SQLDatabase
        let leadColumns =
            ([
                "id AS lead_id", "crm_id", "account_id", "form_id", "phone", "created_at", "product_type", "form_code",
                "surface_habitable", "extra", "landing_page_id", "diffusion_source_id", "consent_phone",
                "consent_email", "consent_text", "consent_hash", "consent_partners_version", "consent_url",
                "consent_at", "ip", "user_agent",
            ] + LeadRow.fieldColumns).map { column -> String in
                let parts = column.components(separatedBy: " AS ")
                return "l.\"\(parts[0])\"" + (parts.count > 1 ? " AS \"\(parts[1])\"" : "")
            }.joined(separator: ", ")
        var rows: [LeadRow] = []
        for chunk in ids.chunked(300) {
            let list = chunk.map { "'\($0.text)'" }.joined(separator: ",")
            // UUIDs are stored as text on SQLite and as uuid on PostgreSQL: both take the quoted form.
            rows += try await sql.raw(
                """
                SELECT d."id" AS "delivery_id", d."organization_id", d."crm_id" AS "delivery_crm_id", d."attempts", \(unsafeRaw: leadColumns)
                FROM "deliveries" d JOIN "leads" l ON l."id" = d."lead_id"
                WHERE d."id" IN (\(unsafeRaw: list))
                """
            ).all().map(LeadRow.init)
        }
        let crmIds = Set(rows.compactMap(\.crmId))
        let crms = Dictionary(
            uniqueKeysWithValues: try await Crm.query(on: db).filter(\.$id ~~ Array(crmIds)).all().map { ($0.id!, $0) })
        let accounts = Dictionary(
            uniqueKeysWithValues: try await Account.query(on: db).filter(\.$id ~~ Array(Set(rows.map(\.accountId))))
                .all().map { ($0.id!, $0) })
        let forms = Dictionary(
            uniqueKeysWithValues: try await Form.query(on: db).filter(\.$id ~~ Array(Set(rows.map(\.formId))))
                .all().map { ($0.id!, $0) })
        return rows.compactMap { row -> Job? in
            guard let crmId = row.crmId else { return nil }
            func job(_ request: OutgoingRequest?, _ problem: DeliveryOutcome?) -> Job {
                Job(
                    deliveryId: row.deliveryId, organizationId: row.organizationId, leadId: row.leadId,
                    crmId: crmId, attempts: row.attempts, request: request, problem: problem, stats: row.stats)
            }
            guard let crm = crms[crmId] else { return job(nil, .refused("Le CRM destinataire n'existe plus.")) }
            guard let url = crm.apiURL, !url.isEmpty else {
                return job(
                    nil, .refused("Adresse d'API manquante pour \(crm.name) : renseignez-la dans la fiche du CRM."))
            }
            let productType = row.outgoing.productType
            var headers: [(String, String)] = [
                ("Content-Type", "application/json"), ("User-Agent", "LeadHub"),
                ("X-LeadHub-Delivery-Id", row.deliveryId.text.lowercased()),
            ]
            let body: String
            switch crm.deliveryKind {
            case .zr7, .mdl:
                let token = token(
                    originCrmId: row.originCrmId, productType: productType, crm: crm, account: accounts[row.accountId],
                    form: forms[row.formId], secrets: secrets)
                guard let token else {
                    return job(
                        nil,
                        .authError(
                            row.originCrmId == crmId
                                ? "Aucun jeton \(productType) pour ce compte chez \(crm.name) : renseignez-le dans la fiche du compte (ou du formulaire)."
                                : "Aucun jeton de redistribution \(productType) pour \(crm.name) : renseignez-le dans la fiche du CRM."
                        ))
                }
                headers.append(("Authorization", token))
                body = PartnerPayload.zr7(row.outgoing, mapping: crm.fieldMapping).canonical
            case .webhook:
                body = PartnerPayload.webhook(row.outgoing, mapping: crm.fieldMapping).canonical
                for (name, value) in secrets.openMap(crm.webhookHeadersSealed).sorted(by: { $0.key < $1.key }) {
                    headers.append((name, value))
                }
                if let sealed = crm.webhookSecretSealed, let secret = try? secrets.open(sealed) {
                    let timestamp = Int(Date().timeIntervalSince1970)
                    let content = PartnerPayload.signedContent(timestamp: timestamp, body: body)
                    let mac = HMAC<SHA256>.authenticationCode(
                        for: Data(content.utf8), using: SymmetricKey(data: Data(secret.utf8)))
                    headers.append(("X-LeadHub-Signature", "t=\(timestamp),v1=" + Secrets.hex(mac)))
                }
            }
            return job(OutgoingRequest(url: url, headers: headers, body: body, timeout: timeout), nil)
        }
    }

    /// The token that authenticates a lead at its CRM: the form's own, else its account's for the
    /// product (leads sent to their origin CRM); the receiving CRM's redistribution token (rerouted).
    static func token(
        originCrmId: UUID, productType: String, crm: Crm, account: Account?, form: Form?, secrets: SecretBox
    ) -> String? {
        if originCrmId == crm.id {
            if let sealed = form?.crmTokenSealed, let token = try? secrets.open(sealed) { return token }
            return secrets.openMap(account?.crmTokensSealed)[productType]
        }
        return secrets.openMap(crm.redistributionTokensSealed)[productType]
    }

    /// What an attempt gave, ready to store.
    struct Settlement: Sendable {
        let job: Job
        let outcome: DeliveryOutcome
        let httpStatus: Int?
        let excerpt: String
        let startedAt: Date
        let durationMs: Int
    }

    static func outcome(of result: TransportResult) -> (DeliveryOutcome, Int?, String) {
        switch result {
        case .answer(let status, let body, let retryAfter):
            return (
                DeliveryOutcome.classify(status: status, body: body, retryAfter: retryAfter), status,
                DeliveryOutcome.excerpt(body)
            )
        case .timeout:
            return (.retryable("Pas de réponse dans le délai imparti.", retryAfter: nil), nil, "délai dépassé")
        case .connectionFailed(let why):
            return (.retryable("Connexion impossible : \(why)", retryAfter: nil), nil, "connexion impossible")
        }
    }

    /// Stores many attempts in one transaction: the common endings (delivered, CRM duplicate) as
    /// one statement per status, the others one by one, the attempts as multi-row inserts, and the
    /// leads' statuses per status. Deliveries whose lease was lost meanwhile are skipped.
    static func settleBatch(
        _ settlements: [Settlement], owner: String, schedule: RetrySchedule, now: Date, on db: any Database
    ) async throws {
        guard !settlements.isEmpty else { return }
        try await db.transaction { tx in
            let sql = tx as! any SQLDatabase
            var kept: [(Settlement, DeliveryStatus)] = []
            let finished = settlements.filter { s in
                if case .delivered = s.outcome { return true }
                if case .duplicate = s.outcome { return true }
                return false
            }
            let groups = Dictionary(grouping: finished) { s -> String in
                "\(s.outcome.status(attempts: 1, schedule: schedule).rawValue)|\(s.httpStatus ?? 0)"
            }
            for (_, group) in groups {
                let status = group[0].outcome.status(attempts: 1, schedule: schedule)
                for chunk in group.chunked(300) {
                    let rows = try await sql.update("deliveries")
                        .set("status", to: status.rawValue)
                        .set(SQLIdentifier("attempts"), to: SQLRaw("\"attempts\" + 1"))
                        .set("next_attempt_at", to: SQLLiteral.null).set("lease_owner", to: SQLLiteral.null)
                        .set("lease_until", to: SQLLiteral.null).set("last_error", to: SQLLiteral.null)
                        .set("last_status_code", to: chunk[0].httpStatus).set("delivered_at", to: now)
                        .set("updated_at", to: now)
                        .where("id", .in, chunk.map(\.job.deliveryId)).where("lease_owner", .equal, owner)
                        .where(waiting(sql)).returning("id").all()
                    let changed = Set(try rows.map { try $0.decode(column: "id", as: UUID.self) })
                    kept += chunk.filter { changed.contains($0.job.deliveryId) }.map { ($0, status) }
                }
            }
            for settlement in settlements
            where !finished.contains(where: { $0.job.deliveryId == settlement.job.deliveryId }) {
                if let status = try await updateOne(
                    settlement, owner: owner, schedule: schedule, jitter: Double.random(in: 0..<1), now: now, on: sql)
                {
                    kept.append((settlement, status))
                }
            }
            try await DeliveryRows.attempt.insert(kept.map { AttemptRow($0.0, $0.1) }, on: sql)
            let byLeadStatus = Dictionary(
                grouping: kept.compactMap { s, status in LeadStatus.after(status).map { ($0, s.job.leadId) } }
            ) {
                $0.0
            }
            var stats = StatsIncrements()
            let statsByLead = Dictionary(kept.compactMap { s, _ in s.job.stats.map { (s.job.leadId, $0) } }) { a, _ in a
            }
            for (leadStatus, pairs) in byLeadStatus {
                for chunk in pairs.map(\.1).chunked(300) {
                    // A lead becoming delivered counts once in the dashboards (not again when a
                    // forced re-send is delivered too).
                    let rows = try await sql.update("leads").set("status", to: leadStatus.rawValue).set(
                        "updated_at", to: now
                    )
                    .where("id", .in, chunk)
                    .where(
                        "status", .notIn,
                        leadStatus == .delivered
                            ? [LeadStatus.duplicate.rawValue, LeadStatus.delivered.rawValue]
                            : [LeadStatus.duplicate.rawValue]
                    )
                    .returning("id").all()
                    guard leadStatus == .delivered else { continue }
                    for row in rows {
                        if let ref = statsByLead[try row.decode(column: "id", as: UUID.self)] {
                            stats.addDelivered(ref)
                        }
                    }
                }
            }
            try await stats.write(on: sql)
        }
    }

    /// "Still waiting", for statements that pick deliveries by id. On SQLite the status term is
    /// written `+"status"` so that the planner cannot use the status index instead of the primary
    /// key: with a large backlog it chose the index and read every waiting row for each settle.
    private static func waiting(_ sql: any SQLDatabase) -> SQLRaw {
        SQLRaw((sql.dialect.name == "postgresql" ? "\"status\"" : "+\"status\"") + " IN ('pending', 'retrying')")
    }

    /// The delivery row after one attempt; nil when the lease was lost.
    private static func updateOne(
        _ settlement: Settlement, owner: String, schedule: RetrySchedule, jitter: Double, now: Date,
        on sql: any SQLDatabase
    ) async throws -> DeliveryStatus? {
        let change = DeliveryChange(settlement, schedule: schedule, jitter: jitter, now: now)
        let (status, attempts, next, message) = (change.status, change.attempts, change.next, change.message)
        var update = sql.update("deliveries")
            .set("status", to: status.rawValue).set("attempts", to: attempts)
            .set("next_attempt_at", to: next).set("lease_owner", to: SQLLiteral.null)
            .set("lease_until", to: SQLLiteral.null).set("last_error", to: message)
            .set("last_status_code", to: settlement.httpStatus).set("updated_at", to: now)
        if status == .delivered || status == .duplicate { update = update.set("delivered_at", to: now) }
        let changed = try await update.where("id", .equal, settlement.job.deliveryId).where(
            "lease_owner", .equal, owner
        )
        .where(waiting(sql)).returning("id").all()
        return changed.isEmpty ? nil : status
    }
}
