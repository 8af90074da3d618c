import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// « À vérifier »: the leads kept but not sent (incomplete, invalid phone, quality held, no phone
/// opt-in), and the rejected ones. An editor completes a lead (`LeadService.update`), then
/// releases it into routing, where it is routed and delivered like a new lead, or rejects it.
enum LeadReview {
    /// Why a lead waits, in French, for the queue and the lead page.
    static func reason(of lead: Lead) -> String {
        switch LeadStatus(rawValue: lead.status) {
        case .incomplete: "Champs manquants ou invalides"
        case .invalid: "Numéro de téléphone invalide"
        case .held: "Score qualité \(lead.qualityScore ?? 0)/100 au-dessus du seuil de vérification"
        case .noConsent: "Pas de consentement téléphonique : il ne peut pas être transmis sans preuve d'opt-in"
        case .rejected: "Rejeté"
        default: ""
        }
    }

    static func qualitySignals(of lead: Lead) -> [QualitySignal] {
        JSONText.decode([QualitySignal].self, from: lead.qualityReasonsJSON, default: [])
    }

    static func reviewErrors(of lead: Lead) -> [String: [String]] {
        JSONText.decode([String: [String]].self, from: lead.reviewErrorsJSON, default: [:])
    }

    struct Page {
        let leads: [Lead]
        let counts: [LeadStatus: Int]
    }

    /// The queue: leads awaiting review (or, with `status`, one of its statuses or `rejected`),
    /// oldest first so that nobody waits forever; at most `limit`.
    static func queue(status: LeadStatus?, scope: TenantScope, limit: Int = 200, on db: any Database) async throws
        -> Page
    {
        let wanted = status.map { [$0] } ?? LeadStatus.awaitingReview
        let leads = try await scope.query(Lead.self, on: db).filter(\.$status ~~ wanted.map(\.rawValue))
            .filter(\.$archivedAt == nil).sort(\.$createdAt, .ascending).limit(limit).all()
        var counts: [LeadStatus: Int] = [:]
        for state in LeadStatus.awaitingReview + [.rejected] {
            counts[state] = try await scope.query(Lead.self, on: db).filter(\.$status == state.rawValue)
                .filter(\.$archivedAt == nil).count()
        }
        return Page(leads: leads, counts: counts)
    }

    /// Releases a lead into routing: it must now validate with its form's rules (an incomplete
    /// lead is completed first), and a lead without opt-in needs the editor to confirm that
    /// consent was obtained since. Routed in one transaction with the routing counters, as intake
    /// routes (the organization's lock on PostgreSQL, the database's write lock on SQLite).
    static func release(
        _ id: UUID?, consentObtained: Bool, note: String?, scope: TenantScope, now: Date, app: Application,
        on db: any Database
    ) async throws -> Lead {
        try scope.require(.edit)
        let lead = try await scope.find(Lead.self, id, on: db)
        guard let status = LeadStatus(rawValue: lead.status), status.awaitsReview || status == .rejected else {
            throw AppError.conflict(field: nil, message: "Ce lead n'est pas à vérifier : il a déjà été traité.")
        }
        guard lead.erasedAt == nil else {
            throw AppError.conflict(field: nil, message: "Les données de ce lead ont été effacées (RGPD).")
        }
        let note = note?.trimmedText.prefix(500).description ?? ""
        var problems = FieldErrors()
        let policy = try await Organization.find(lead.organizationId, on: db)?.intakePolicy ?? IntakePolicy()
        if !lead.consentPhone && !consentObtained && policy.requirePhoneConsent {
            problems.add(
                "consent_obtained",
                "Confirmez que le consentement téléphonique a été recueilli depuis (rappel enregistré, nouvel opt-in).")
        }
        guard let form = try await app.intakeCache.form(id: lead.formId, now: now, on: db) else {
            throw AppError.conflict(field: nil, message: "Le formulaire de ce lead n'existe plus.")
        }
        let valid: ValidatedLead
        switch LeadSubmission.validate(
            LeadService.body(of: lead), required: form.requiredFields, metropolitanOnly: form.metropolitanOnly)
        {
        case .success(let lead): valid = lead
        case .failure(let errors):
            problems.merge(errors)
            try problems.throwIfAny()
            throw errors
        }
        try problems.throwIfAny()
        var consenting = valid
        consenting.consent.phone = lead.consentPhone || consentObtained
        let consented = consenting
        let routing = try await app.intakeCache.routingConfig(organizationId: lead.organizationId, now: now, on: db)
        let draft = LeadDraft(
            id: try lead.requireID(), organizationId: lead.organizationId, formId: lead.formId,
            accountId: lead.accountId, crmId: lead.crmId, landingPageId: lead.landingPageId,
            diffusionSourceId: lead.diffusionSourceId, productType: lead.productType, formCode: lead.formCode,
            lead: consented, ip: lead.ip, userAgent: lead.userAgent, apiKeyId: lead.apiKeyId,
            submissionHash: lead.submissionHash, idempotencyKey: nil, receivedAt: now,
            duplicateWindowHours: form.duplicateWindowHours, excludeFromRouting: form.excludeFromRouting,
            routing: routing)
        let stored = StoredLead(
            id: draft.id, status: .received, duplicateOf: nil, formCode: lead.formCode, createdAt: lead.createdAt)
        let what = [
            "Libéré (était : \(status.label))",
            consentObtained && !lead.consentPhone ? "consentement confirmé" : nil,
            note.isEmpty ? nil : "« \(note) »",
        ].compactMap { $0 }.joined(separator: ", ")
        try await db.transaction { tx in
            let sql = tx as! any SQLDatabase
            if app.config.usesPostgres {
                try await sql.raw(
                    "SELECT pg_advisory_xact_lock(hashtext(\(bind: "routing:" + lead.organizationId.uuidString)))"
                ).run()
            }
            // The first statement writes: on SQLite it takes the write lock before the counters are read.
            try await sql.update("leads").set("status", to: LeadStatus.received.rawValue)
                .set("consent_phone", to: consented.consent.phone).set("review_errors", to: SQLLiteral.null)
                .set("updated_at", to: now).where("id", .equal, draft.id)
                .where("status", .equal, status.rawValue).run()
            let counters = try await LeadWriter.readCounters(LeadWriter.counterQueries([(draft, stored)]), on: sql)
            let plan = LeadWriter.plan([(draft, stored)], counters: counters)
            guard let routed = plan.routed[draft.id] else { return }
            try await IntakeRows.delivery.insert([NewLeadRow(draft: draft, stored: stored, routed: routed)], on: sql)
            try await LeadWriter.addToCounters(plan.increments, on: sql)
            try await sql.update("leads").set("routed_crm_id", to: routed.decision.destination)
                .set("routing_reason", to: routed.decision.reason.code)
                .set("routing_explanation", to: routed.decision.explanation)
                .set("rerouted", to: routed.decision.isRerouted).set("unit_price_cents", to: routed.priceCents)
                .set("status", to: routed.deliveryStatus == .pending ? "received" : LeadStatus.notSent.rawValue)
                .where("id", .equal, draft.id).run()
            try await LeadWriter.insertEvent(
                leadId: draft.id, organizationId: lead.organizationId, kind: "released",
                summary: what + " : " + routed.decision.explanation, userEmail: scope.userEmail, at: now, on: sql)
            try await ActivityService.record(
                .update, objectType: "lead", objectId: draft.id,
                summary: "Lead \(FrenchPhone.masked(lead.phone)) libéré (\(status.label))", scope: scope, at: now,
                on: tx)
        }
        app.deliveryWorker.wake()
        return try await scope.find(Lead.self, draft.id, on: db)
    }

    /// Rejects a lead waiting in « À vérifier »: it is kept, never sent, and says why.
    static func reject(_ id: UUID?, reason: String?, scope: TenantScope, now: Date, on db: any Database) async throws
        -> Lead
    {
        try scope.require(.edit)
        let lead = try await scope.find(Lead.self, id, on: db)
        guard LeadStatus(rawValue: lead.status)?.awaitsReview == true else {
            throw AppError.conflict(field: nil, message: "Seul un lead à vérifier peut être rejeté.")
        }
        let reason = reason?.trimmedText ?? ""
        guard !reason.isEmpty, reason.count <= 500 else {
            throw FieldErrors(["reason": ["Indiquez pourquoi le lead est rejeté (500 caractères au plus)."]])
        }
        let before = LeadStatus(rawValue: lead.status)!
        try await db.transaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.update("leads").set("status", to: LeadStatus.rejected.rawValue).set("updated_at", to: now)
                .where("id", .equal, lead.requireID()).where("status", .equal, before.rawValue).run()
            try await LeadWriter.insertEvent(
                leadId: try lead.requireID(), organizationId: lead.organizationId, kind: "rejected",
                summary: "Rejeté : \(reason)", userEmail: scope.userEmail, at: now, on: sql)
            try await ActivityService.record(
                .update, objectType: "lead", objectId: lead.id,
                summary: "Lead \(FrenchPhone.masked(lead.phone)) rejeté (\(before.label)) : \(reason)", scope: scope,
                at: now, on: tx)
        }
        return try await scope.find(Lead.self, lead.id, on: db)
    }
}
