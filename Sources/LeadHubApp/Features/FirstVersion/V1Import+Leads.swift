import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// Leads (`leads`, `leads_archived`, and the retry state of `lead_queue`) and the first
/// version's tracking rows. Leads are written by batches through SQLKit, with their delivery,
/// their aggregate counts and the routing counters, in one transaction per batch.
extension V1Importer {
    /// One imported lead, as stored: the single description below gives the column list, the
    /// binds and the update, so that no value can be written under another column's name.
    struct LeadRow {
        var id: UUID
        var formId: UUID
        var accountId: UUID
        var crmId: UUID
        var landingPageId: UUID?
        var diffusionSourceId: UUID?
        var productType: String
        var status: LeadStatus
        var phone: String
        var lead: ValidatedLead?
        var fields: [String: String]
        var extra: [String: JSONValue]
        var formCode: String
        var lpCode: String?
        var ip: String?
        var createdAt: Date
        var routedCrmId: UUID?
        var routingReason: String?
        var routingExplanation: String?
        var rerouted: Bool
        var unitPriceCents: Int?
        var archivedAt: Date?
        var submissionHash: String

        func field(_ name: String) -> String? { fields[name] }
    }

    typealias Column = (name: String, value: @Sendable (LeadRow, UUID) -> any Encodable & Sendable)

    static let leadColumns: [Column] = [
        ("id", { r, _ in r.id }), ("organization_id", { _, org in org }), ("form_id", { r, _ in r.formId }),
        ("account_id", { r, _ in r.accountId }), ("crm_id", { r, _ in r.crmId }),
        ("landing_page_id", { r, _ in r.landingPageId }), ("diffusion_source_id", { r, _ in r.diffusionSourceId }),
        ("product_type", { r, _ in r.productType }), ("status", { r, _ in r.status.rawValue }),
        ("duplicate_of", { _, _ in UUID?.none }), ("phone", { r, _ in r.phone }),
        ("civilite", { r, _ in r.lead?.civilite }), ("nom", { r, _ in r.lead?.nom ?? r.field("nom") }),
        ("prenom", { r, _ in r.lead?.prenom ?? r.field("prenom") }), ("email", { r, _ in r.lead?.email }),
        ("code_postal", { r, _ in r.lead?.codePostal }), ("departement", { r, _ in r.lead?.departement }),
        ("ville", { r, _ in r.lead?.ville }), ("adresse", { r, _ in r.lead?.adresse }),
        ("type_logement", { r, _ in r.lead?.typeLogement }), ("statut_occupant", { r, _ in r.lead?.statutOccupant }),
        ("surface_habitable", { r, _ in r.lead?.surfaceHabitable }),
        ("chauffage_actuel", { r, _ in r.lead?.chauffageActuel }),
        ("facture_electricite", { r, _ in r.lead?.factureElectricite }),
        ("extra", { r, _ in JSONText.encode(r.extra) }), ("form_code", { r, _ in r.formCode }),
        ("lp_code", { r, _ in r.lpCode }), ("session_id", { r, _ in r.lead?.attribution["session_id"] }),
        ("visitor_id", { r, _ in r.lead?.attribution["visitor_id"] }),
        ("utm_source", { r, _ in r.lead?.attribution["utm_source"] }),
        ("utm_medium", { r, _ in r.lead?.attribution["utm_medium"] }),
        ("utm_campaign", { r, _ in r.lead?.attribution["utm_campaign"] }),
        ("utm_content", { r, _ in r.lead?.attribution["utm_content"] }),
        ("utm_term", { r, _ in r.lead?.attribution["utm_term"] }), ("gclid", { r, _ in r.lead?.attribution["gclid"] }),
        ("fbclid", { r, _ in r.lead?.attribution["fbclid"] }),
        ("referrer", { r, _ in r.lead?.attribution["referrer"] }),
        ("page_url", { r, _ in r.lead?.attribution["page_url"] }),
        ("consent_phone", { r, _ in r.lead?.consent.phone ?? false }),
        ("consent_email", { r, _ in r.lead?.consent.email ?? false }),
        ("consent_text", { r, _ in r.lead?.consent.text }), ("consent_url", { r, _ in r.lead?.consent.url }),
        ("consent_at", { r, _ in r.createdAt }), ("ip", { r, _ in r.ip }), ("user_agent", { _, _ in String?.none }),
        ("submission_hash", { r, _ in r.submissionHash }), ("api_key_id", { _, _ in UUID?.none }),
        ("created_at", { r, _ in r.createdAt }), ("updated_at", { r, _ in r.createdAt }),
        ("routed_crm_id", { r, _ in r.routedCrmId }), ("routing_reason", { r, _ in r.routingReason }),
        ("routing_explanation", { r, _ in r.routingExplanation }), ("rerouted", { r, _ in r.rerouted }),
        ("unit_price_cents", { r, _ in r.unitPriceCents }), ("archived_at", { r, _ in r.archivedAt }),
    ]

    struct DeliveryRow {
        var id: UUID
        var leadId: UUID
        var crmId: UUID?
        var productType: String
        var status: DeliveryStatus
        var attempts: Int
        var nextAttemptAt: Date?
        var lastError: String?
        var deliveredAt: Date?
        var createdAt: Date
    }

    static let deliveryColumns:
        [(name: String, value: @Sendable (DeliveryRow, UUID, Date) -> any Encodable & Sendable)] = [
            ("id", { d, _, _ in d.id }), ("organization_id", { _, org, _ in org }),
            ("lead_id", { d, _, _ in d.leadId }),
            ("crm_id", { d, _, _ in d.crmId }), ("product_type", { d, _, _ in d.productType }),
            ("status", { d, _, _ in d.status.rawValue }), ("attempts", { d, _, _ in d.attempts }),
            ("next_attempt_at", { d, _, _ in d.nextAttemptAt }), ("last_error", { d, _, _ in d.lastError }),
            ("delivered_at", { d, _, _ in d.deliveredAt }), ("created_at", { d, _, _ in d.createdAt }),
            ("updated_at", { _, _, now in now }),
        ]

    /// The old lead fields read as a lead body (LeadHub's names after `V1Compat.leadBody`).
    static let leadFields = [
        "phone", "civilite", "nom", "prenom", "email", "code_postal", "departement", "ville", "adresse",
        "type_logement", "statut_occupant", "superficie_logement", "surface_habitable", "chauffage_actuel",
        "facture_electricite", "lp_code", "liaison_code", "session_id", "visitor_id", "utm_source", "utm_medium",
        "utm_campaign", "utm_content", "utm_term", "gclid", "fbclid", "referrer", "page_url",
    ]

    // MARK: - Queue

    /// `lead_queue`: the retry state of leads the first version had not delivered yet.
    func importQueue() async throws {
        try await forEachDocument("lead_queue") { doc in
            guard let leadId = Self.text(doc["lead_id"]) ?? Self.oldId(doc) else {
                return report.skip("lead_queue", nil, "entrée sans lead")
            }
            queue[leadId] = (
                status: Self.text(doc["status"]) ?? "pending",
                attempts: Int(Self.text(doc["retry_count"]) ?? "") ?? 0,
                next: ISODate.parse(doc["next_retry_at"]),
                error: Self.text(doc["last_error"])
            )
        }
    }

    // MARK: - Leads

    struct LeadBatch {
        var rows: [LeadRow] = []
        var updates: [LeadRow] = []
        var deliveries: [DeliveryRow] = []
        var events: [(UUID, String, Date)] = []
        var stats = StatsIncrements()
        var counters: [LeadWriter.CounterKey: Int] = [:]
        var count: Int { rows.count + updates.count }
    }

    func importLeads(collection: String, archived: Bool, on db: any Database) async throws {
        var batch = LeadBatch()
        var consumedQueue = 0
        let recentStart = now.addingTimeInterval(-40 * 86_400)
        var periodMemo: [Int: (week: String, month: String, rerouted: String)] = [:]
        try await forEachDocument(collection) { doc in
            guard let id = Self.oldId(doc) else { return report.skip(collection, nil, "lead sans id") }
            let fingerprint = Self.fingerprint(doc)
            // One namespace for both collections: a lead archived since the last run is updated.
            let change = self.change("leads", id, fingerprint)
            if case .unchanged = change { return counted(collection, change) }
            guard let row = mapLead(doc, oldId: id, collection: collection, archived: archived) else { return }
            let queued = queue.removeValue(forKey: id)
            if queued != nil { consumedQueue += 1 }
            let delivery = mapDelivery(doc, row: row, queued: queued)
            switch change {
            case .create:
                batch.rows.append(row)
                batch.deliveries.append(delivery)
                batch.stats.addLead(
                    organizationId: organizationId, at: row.createdAt, lp: row.landingPageId, form: row.formId,
                    account: row.accountId, crm: row.crmId, source: row.diffusionSourceId, product: row.productType,
                    departement: row.lead?.departement, duplicate: row.status == .duplicate)
                if row.status == .delivered {
                    batch.stats.addDelivered(
                        LeadStatsRef(
                            hourKey: .init(
                                organizationId: organizationId, hour: StatsHour.bucket(row.createdAt),
                                lp: StatsIncrements.text(row.landingPageId), form: StatsIncrements.text(row.formId),
                                account: StatsIncrements.text(row.accountId), crm: StatsIncrements.text(row.crmId),
                                source: StatsIncrements.text(row.diffusionSourceId), product: row.productType),
                            dayKey: .init(
                                organizationId: organizationId, day: ParisDay.number(row.createdAt),
                                departement: row.lead?.departement ?? "", account: StatsIncrements.text(row.accountId),
                                crm: StatsIncrements.text(row.crmId), product: row.productType)))
                }
                // Quotas and limits of the current week and month count the imported leads too.
                if let destination = row.routedCrmId, row.createdAt >= recentStart, row.status != .duplicate {
                    let hour = StatsHour.bucket(row.createdAt)
                    let periods = periodMemo[hour] ?? LeadWriter.periods(at: row.createdAt)
                    periodMemo[hour] = periods
                    var touched = [periods.week, periods.month]
                    if row.rerouted { touched.append(periods.rerouted) }
                    for period in touched {
                        batch.counters[
                            LeadWriter.CounterKey(
                                organizationId: organizationId, crmId: destination, productType: row.productType,
                                period: period), default: 0] += 1
                    }
                }
                if let review = row.extra["v1_review"]?.text {
                    batch.events.append(
                        (row.id, "À vérifier (import de la première version) : " + review, row.createdAt))
                }
                remember("leads", id, row.id, fingerprint)
            case .update(let existing):
                var updated = row
                updated.id = existing
                batch.updates.append(updated)
                var updatedDelivery = delivery
                updatedDelivery.leadId = existing
                batch.deliveries.append(updatedDelivery)
                remember("leads", id, existing, fingerprint)
            case .unchanged: break
            }
            counted(collection, change)
            if batch.count >= options.batchSize {
                try await submit(batch, on: db)
                batch = LeadBatch()
            }
        }
        if batch.count > 0 { try await submit(batch, on: db) }
        try await pendingWrite?.value
        pendingWrite = nil
        if archived {
            for (leadId, _) in queue { report.skip("lead_queue", leadId, "aucun lead importé ne porte cet id") }
            report.count("lead_queue") { $0.created += consumedQueue }
            queue.removeAll()
        } else {
            report.count("lead_queue") { $0.created += consumedQueue }
        }
    }

    /// One old lead as a LeadHub row, or nil (skipped, with its reason in the report).
    func mapLead(_ doc: [String: JSONValue], oldId id: String, collection: String, archived: Bool) -> LeadRow? {
        let formCodeGiven = V1Mapping.code(Self.text(doc["form_code"]))
        guard
            let form = link("forms", Self.text(doc["form_id"])).flatMap({ forms[$0.newId] })
                ?? formCodeGiven.flatMap({ formsByCode[$0] }),
            let formId = form.id, let account = accounts[form.accountId]
        else {
            report.skip(
                collection, id,
                "formulaire inconnu (form_id \(Self.text(doc["form_id"]) ?? "absent"), form_code \(Self.text(doc["form_code"]) ?? "absent"))"
            )
            return nil
        }
        var body: [String: JSONValue] = [:]
        for key in Self.leadFields {
            if let value = Self.text(doc[key]) { body[key] = .string(value) }
        }
        body = V1Compat.leadBody(body, formCode: form.code)
        var extra: [String: JSONValue] = ["v1_id": .string(id)]
        var reviews: [String] = []
        let rawPhone = Self.text(doc["phone"]) ?? ""
        var phone: String
        switch FrenchPhone.parse(rawPhone) {
        case .success(let parsed): phone = parsed.e164
        case .failure:
            phone = String(rawPhone.prefix(40))
            reviews.append("téléphone illisible « \(phone) »")
            body["phone"] = .string("0612345678")  // validates the rest; the phone is kept as given
        }
        var validated: ValidatedLead? = nil
        for _ in 0..<4 {
            switch LeadSubmission.validate(body, required: [.phone]) {
            case .success(let lead): validated = lead
            case .failure(let errors):
                for (field, messages) in errors.messages {
                    if let raw = body.removeValue(forKey: field) { extra["v1_" + field] = raw }
                    reviews.append(
                        "\(field) « \(body[field]?.text ?? extra["v1_" + field]?.text ?? "") » : \(messages.joined(separator: " "))"
                    )
                }
            }
            if validated != nil { break }
        }
        guard var lead = validated else {
            report.skip(collection, id, "lead illisible : " + reviews.joined(separator: " ; "))
            return nil
        }
        lead.extra.merge(extra) { _, new in new }
        for key in ["api_status", "status_detail", "routing_reason", "origin_crm_name", "target_crm_name"] {
            if let value = Self.text(doc[key]) { lead.extra["v1_" + key] = .string(String(value.prefix(200))) }
        }
        if let response = Self.text(doc["api_response"]) ?? doc["api_response"].map({ $0.canonical }) {
            lead.extra["v1_crm_response"] = .string(String(response.prefix(1_000)))
        }
        var createdAt = ISODate.parse(doc["created_at"]) ?? ISODate.parse(doc["register_date"])
        if createdAt == nil {
            reviews.append("date de création absente : date de l'import")
            createdAt = now
        }
        let state = V1Mapping.leadState(apiStatus: Self.text(doc["api_status"]), queueStatus: queue[id]?.status)
        if state.unknown {
            reviews.append("statut « \(Self.text(doc["api_status"]) ?? "absent") » inconnu : non envoyé")
        }
        var status = state.lead
        let phoneBad = reviews.contains { $0.hasPrefix("téléphone") }
        if phoneBad, status == .received { status = .failed }
        if !reviews.isEmpty {
            lead.extra["v1_review"] = .string(reviews.joined(separator: " ; "))
            report.alter(collection, id, reviews.joined(separator: " ; "))
        }
        let origin = account.crmId
        let target = link("crms", Self.text(doc["target_crm_id"]))?.newId
        let destination: UUID? = status == .notSent || status == .duplicate ? target : (target ?? origin)
        let reason = Self.text(doc["routing_reason"])
        let rerouted = (reason?.hasPrefix("rerouted") ?? false) && destination != nil && destination != origin
        let price = destination.flatMap {
            crms[$0]?.leadPrices[V1Mapping.product(Self.text(doc["product_type"])) ?? form.productType]
        }
        .map { Int(($0 * 100).rounded()) }
        let product = V1Mapping.product(Self.text(doc["product_type"])) ?? form.productType
        let lpCode = lead.lpCode.flatMap(V1Mapping.code)
        let page = lpCode.flatMap { landingPagesByCode[$0] }
        return LeadRow(
            id: TimeOrderedID.make(at: createdAt!), formId: formId, accountId: account.id!, crmId: origin,
            landingPageId: page?.id, diffusionSourceId: page?.diffusionSourceId, productType: product, status: status,
            phone: phone, lead: lead, fields: [:], extra: lead.extra, formCode: form.code, lpCode: lpCode,
            ip: Self.text(doc["ip"]).map { String($0.prefix(64)) }, createdAt: createdAt!, routedCrmId: destination,
            routingReason: reason.map { String($0.prefix(100)) },
            routingExplanation: reason.map { "Routage de la première version : \($0)" }, rerouted: rerouted,
            unitPriceCents: price,
            archivedAt: archived ? (ISODate.parse(doc["archived_at"]) ?? now) : nil,
            submissionHash: Secrets.sha256Hex("v1:" + id))
    }

    func mapDelivery(
        _ doc: [String: JSONValue], row: LeadRow,
        queued: (status: String, attempts: Int, next: Date?, error: String?)?
    ) -> DeliveryRow {
        let state = V1Mapping.leadState(apiStatus: Self.text(doc["api_status"]), queueStatus: queued?.status)
        var status = state.delivery
        var lastError: String? = queued?.error ?? Self.text(doc["api_response"]).map { String($0.prefix(500)) }
        if row.status == .failed, status == .retrying {
            status = .notSent
            lastError = "Téléphone illisible dans la première version : à vérifier avant tout envoi."
        }
        if row.routedCrmId == nil, status == .retrying {
            status = .notSent
            lastError = "Aucun CRM de destination connu."
        }
        if status == .notSent, lastError == nil {
            lastError =
                row.status == .duplicate
                ? "Doublon du jour dans la première version." : "Non envoyé par la première version."
        }
        let delivered = status == .delivered || status == .duplicate
        return DeliveryRow(
            id: TimeOrderedID.make(at: row.createdAt), leadId: row.id, crmId: row.routedCrmId,
            productType: row.productType,
            status: status,
            attempts: queued?.attempts ?? Int(Self.text(doc["retry_count"]) ?? "") ?? (delivered ? 1 : 0),
            nextAttemptAt: status == .retrying ? now : nil, lastError: delivered ? nil : lastError,
            deliveredAt: delivered ? (ISODate.parse(doc["sent_at"]) ?? row.createdAt) : nil, createdAt: row.createdAt)
    }

    /// Hands a batch to the writer: the previous batch's transaction must have committed first,
    /// and the next batch is read and mapped while this one is written (the two cores work).
    func submit(_ batch: LeadBatch, on db: any Database) async throws {
        let links = newLinks
        newLinks.removeAll()
        let changed = changedLinks
        changedLinks.removeAll()
        try await pendingWrite?.value
        pendingWrite = Task { try await self.write(batch, links: links, changed: changed, on: db) }
    }

    func write(
        _ batch: LeadBatch, links: [(String, String, UUID, String)], changed: [(String, String, String)],
        on db: any Database
    ) async throws {
        let org = organizationId
        let now = self.now
        try await db.transaction { tx in
            let sql = tx as! any SQLDatabase
            let leadNames = Self.leadColumns.map(\.name)
            for chunk in batch.rows.chunked(200) {
                var insert = sql.insert(into: "leads").columns(leadNames)
                for row in chunk { insert = insert.values(Self.leadColumns.map { SQLBind($0.value(row, org)) }) }
                try await insert.run()
            }
            for row in batch.updates {
                var update = sql.update("leads")
                for column in Self.leadColumns where !["id", "organization_id", "created_at"].contains(column.name) {
                    update = update.set(SQLIdentifier(column.name), to: SQLBind(column.value(row, org)))
                }
                try await update.where("id", .equal, row.id).where("organization_id", .equal, org).run()
            }
            let updated = Set(batch.updates.map(\.id))
            let fresh = batch.deliveries.filter { !updated.contains($0.leadId) }
            for chunk in fresh.chunked(300) {
                var insert = sql.insert(into: "deliveries").columns(Self.deliveryColumns.map(\.name))
                for row in chunk {
                    insert = insert.values(Self.deliveryColumns.map { SQLBind($0.value(row, org, now)) })
                }
                try await insert.run()
            }
            for row in batch.deliveries where updated.contains(row.leadId) {
                try await sql.update("deliveries").set("status", to: row.status.rawValue).set("crm_id", to: row.crmId)
                    .set("last_error", to: row.lastError).set("delivered_at", to: row.deliveredAt)
                    .set("next_attempt_at", to: row.nextAttemptAt).set("updated_at", to: now)
                    .where("lead_id", .equal, row.leadId).where("organization_id", .equal, org).run()
            }
            for chunk in batch.events.chunked(300) {
                var insert = sql.insert(into: "lead_events").columns(LeadWriter.eventColumns)
                for (leadId, summary, at) in chunk {
                    insert = insert.values(
                        SQLBind(UUID()), SQLBind(org), SQLBind(leadId), SQLBind("import"), SQLBind(summary),
                        SQLBind(String?.none), SQLBind(at))
                }
                try await insert.run()
            }
            try await batch.stats.write(on: sql)
            for (key, delta) in batch.counters {
                try await sql.raw(
                    """
                    INSERT INTO "routing_counters" ("organization_id", "crm_id", "product_type", "period", "count")
                    VALUES (\(bind: key.organizationId), \(bind: key.crmId), \(bind: key.productType), \(bind: key.period), \(bind: delta))
                    ON CONFLICT ("organization_id", "crm_id", "product_type", "period")
                    DO UPDATE SET "count" = "routing_counters"."count" + excluded."count"
                    """
                ).run()
            }
            try await self.insertLinks(links, changed: changed, on: tx)
        }
    }

    // MARK: - Tracking

    /// `tracking` (lp_visit, cta_click, form_start rows), `cta_clicks` and `form_starts`: added to
    /// the hourly aggregates, so that the dashboard shows the months before the switch. Idempotent
    /// by hour: what an earlier run added to an hour is remembered (`v1_id_map`, collection
    /// `tracking_hours`) and only the difference is applied.
    func importTracking(on db: any Database) async throws {
        var totals: [StatsIncrements.HourKey: [Int]] = [:]  // visits, clicks, starts
        var unknown: [String: Int] = [:]
        for collection in ["tracking", "cta_clicks", "form_starts"] {
            try await forEachDocument(collection) { doc in
                let type: TrackingEventType?
                switch collection {
                case "cta_clicks": type = .ctaClick
                case "form_starts": type = .formStart
                default: type = TrackingEventType(rawValue: Self.text(doc["event"]) ?? Self.text(doc["type"]) ?? "")
                }
                guard let type, type != .formStep else {
                    return report.skip(
                        collection, Self.oldId(doc), "événement « \(Self.text(doc["event"]) ?? "?") » inconnu")
                }
                guard let at = ISODate.parse(doc["created_at"]) else {
                    return report.skip(collection, Self.oldId(doc), "date absente ou illisible")
                }
                let page = V1Compat.landingPageCode(Self.text(doc["lp_code"])).flatMap { landingPagesByCode[$0] }
                let form =
                    V1Mapping.code(Self.text(doc["form_code"])).flatMap { formsByCode[$0] }
                    ?? page?.formId.flatMap { forms[$0] }
                if type.needsLandingPage, page == nil {
                    unknown["LP « \(Self.text(doc["lp_code"]) ?? "absente") »", default: 0] += 1
                    return report.count(collection) { $0.skipped += 1 }
                }
                if !type.needsLandingPage, form == nil {
                    unknown["formulaire « \(Self.text(doc["form_code"]) ?? "absent") »", default: 0] += 1
                    return report.count(collection) { $0.skipped += 1 }
                }
                let accountId = form?.accountId ?? page?.accountId
                let key = StatsIncrements.HourKey(
                    organizationId: organizationId, hour: StatsHour.bucket(at), lp: StatsIncrements.text(page?.id),
                    form: StatsIncrements.text(form?.id ?? page?.formId), account: StatsIncrements.text(accountId),
                    crm: StatsIncrements.text(accountId.flatMap { accounts[$0]?.crmId }),
                    source: StatsIncrements.text(page?.diffusionSourceId), product: form?.productType ?? "")
                let slot = type == .lpVisit ? 0 : type == .ctaClick ? 1 : 2
                totals[key, default: [0, 0, 0]][slot] += 1
                report.count(collection) { $0.created += 1 }
            }
        }
        for (what, count) in unknown.sorted(by: { $0.key < $1.key }) {
            report.notes.append(
                .init(
                    collection: "tracking", oldId: "—", kind: .skipped,
                    reason: "\(count) événement(s) pour \(what) inconnu(e)"))
        }
        var stats = StatsIncrements()
        var unchangedEvents = 0
        for (key, counts) in totals {
            let name = [key.hour.description] + key.dimensions
            let oldId = name.joined(separator: "|")
            let fingerprint = counts.map(String.init).joined(separator: ",")
            var previous = [0, 0, 0]
            if let known = link("tracking_hours", oldId) {
                previous = known.fingerprint.split(separator: ",").map { Int($0) ?? 0 }
                if previous == counts { unchangedEvents += counts.reduce(0, +) }
            }
            let measures: [StatsIncrements.Measure] = [.visits, .ctaClicks, .formStarts]
            for (slot, measure) in measures.enumerated() where counts[slot] != previous[slot] {
                stats.add(measure, key, counts[slot] - previous[slot])
            }
            remember("tracking_hours", oldId, link("tracking_hours", oldId)?.newId ?? UUID(), fingerprint)
        }
        if unchangedEvents > 0 {
            // Already imported by an earlier run: counted as unchanged, not created.
            var left = unchangedEvents
            for collection in ["tracking", "cta_clicks", "form_starts"] where left > 0 {
                let move = min(left, report.counts[collection]?.created ?? 0)
                report.count(collection) {
                    $0.created -= move
                    $0.unchanged += move
                }
                left -= move
            }
        }
        try await stats.write(on: db as! any SQLDatabase)
    }
}
