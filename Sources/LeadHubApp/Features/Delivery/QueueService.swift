import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// "File d'attente": what the outbox holds, per state and per CRM, and the actions people take on
/// it (retry, cancel, retry a CRM's failures, purge old delivered rows, force a lead to a CRM).
/// Every query is scoped to the organization and to the CRMs the user may see.
enum QueueService {
    struct Filters: Content {
        var status: String?
        var crmId: UUID?
        var productType: String?

        enum CodingKeys: String, CodingKey {
            case status, crmId = "crm_id", productType = "product_type"
        }
    }

    static func filtered(_ filters: Filters, scope: TenantScope, on db: any Database) throws -> QueryBuilder<Delivery> {
        var query = scope.query(Delivery.self, on: db)
        if let raw = filters.status, !raw.isEmpty {
            if raw == "waiting" {
                query = query.filter(\.$statusRaw ~~ ["pending", "retrying"])
            } else if raw == "needs_human" {
                query = query.filter(\.$statusRaw ~~ ["refused", "auth_error", "exhausted"])
            } else if DeliveryStatus(rawValue: raw) != nil {
                query = query.filter(\.$statusRaw == raw)
            } else {
                throw FieldErrors(["status": ["État inconnu : \(raw)."]])
            }
        }
        if let crm = filters.crmId { query = query.filter(\.$crmId == crm) }
        if let product = filters.productType, !product.isEmpty {
            query = query.filter(\.$productType == product.uppercased())
        }
        return query
    }

    struct CrmHealth: Content {
        let crmId: UUID
        let name: String
        let waiting: Int
        let needsHuman: Int
        let successRate24h: Double?
        let successRate7d: Double?
        let attempts24h: Int
        let lastError: String?
        let lastErrorAt: Date?
        let breaker: String
        let consecutiveFailures: Int

        enum CodingKeys: String, CodingKey {
            case crmId = "crm_id", name, waiting, needsHuman = "needs_human", successRate24h = "success_rate_24h"
            case successRate7d = "success_rate_7d", attempts24h = "attempts_24h", lastError = "last_error"
            case lastErrorAt = "last_error_at", breaker, consecutiveFailures = "consecutive_failures"
        }
    }

    struct Stats: Content {
        let counts: [String: Int]
        let oldestWaitingAt: Date?
        let crms: [CrmHealth]

        enum CodingKeys: String, CodingKey {
            case counts, oldestWaitingAt = "oldest_waiting_at", crms
        }
    }

    static func stats(scope: TenantScope, breakers: [UUID: (CircuitBreaker.State, Int)], now: Date, on db: any Database)
        async throws -> Stats
    {
        let sql = db as! any SQLDatabase
        let crms = try await scope.query(Crm.self, on: db).sort(\.$name).all()
        let crmIds = crms.compactMap(\.id)
        var counts = Dictionary(uniqueKeysWithValues: DeliveryStatus.allCases.map { ($0.rawValue, 0) })
        var perCrm: [UUID: (waiting: Int, human: Int)] = [:]
        var oldest: Date? = nil
        if !crmIds.isEmpty || !scope.isRestricted {
            var query = sql.select().column("status").column("crm_id").column(
                SQLFunction("count", args: SQLLiteral.all), as: "n"
            )
            .column(SQLFunction("min", args: SQLColumn("created_at")), as: "oldest")
            .from("deliveries").where("organization_id", .equal, scope.organizationId)
            if scope.visibleCrmIds != nil { query = query.where("crm_id", .in, crmIds) }
            for row in try await query.groupBy("status").groupBy("crm_id").all() {
                let status = try row.decode(column: "status", as: String.self)
                let n = try row.decode(column: "n", as: Int.self)
                counts[status, default: 0] += n
                guard let state = DeliveryStatus(rawValue: status) else { continue }
                if state.isWaiting, let first = try? row.decode(column: "oldest", as: Date.self) {
                    oldest = min(oldest ?? first, first)
                }
                if let crm = try row.decode(column: "crm_id", as: UUID?.self) {
                    if state.isWaiting { perCrm[crm, default: (0, 0)].waiting += n }
                    if state.needsHuman { perCrm[crm, default: (0, 0)].human += n }
                }
            }
        }
        var health: [CrmHealth] = []
        for crm in crms {
            let id = crm.id!
            func rate(since: Date) async throws -> (Double?, Int) {
                let (total, good) = try await DeliveryService.attemptCounts(crmId: id, from: since, on: db)
                return (total == 0 ? nil : Double(good) / Double(total), total)
            }
            let (day, attempts24h) = try await rate(since: now.addingTimeInterval(-86_400))
            let (week, _) = try await rate(since: now.addingTimeInterval(-7 * 86_400))
            let lastFailure = try await DeliveryAttempt.query(on: db).filter(\.$crmId == id)
                .filter(\.$outcome !~ ["delivered", "duplicate"]).sort(\.$startedAt, .descending).first()
            let breaker = breakers[id]
            health.append(
                CrmHealth(
                    crmId: id, name: crm.name, waiting: perCrm[id]?.waiting ?? 0, needsHuman: perCrm[id]?.human ?? 0,
                    successRate24h: day, successRate7d: week, attempts24h: attempts24h, lastError: lastFailure?.excerpt,
                    lastErrorAt: lastFailure?.startedAt, breaker: breaker?.0.rawValue ?? "closed",
                    consecutiveFailures: breaker?.1 ?? 0))
        }
        return Stats(counts: counts, oldestWaitingAt: oldest, crms: health)
    }

    /// Sends a delivery again now (any state but delivered); the lead waits again.
    static func retry(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws -> Delivery {
        try scope.require(.edit)
        let delivery = try await scope.find(Delivery.self, id, on: db)
        guard delivery.crmId != nil, delivery.status != .delivered else {
            throw AppError.conflict(
                field: nil,
                message: delivery.status == .delivered
                    ? "Cette livraison a déjà abouti."
                    : "Ce lead n'a pas de CRM destinataire : utilisez « Envoyer vers… ».")
        }
        try await db.transaction { tx in
            try await requeue([delivery.id!], now: now, on: tx)
            try await ActivityService.record(
                .update, objectType: "lead", objectId: delivery.leadId, summary: "Livraison relancée", scope: scope,
                at: now,
                on: tx)
        }
        return try await scope.find(Delivery.self, delivery.id, on: db)
    }

    /// Sends a lead's latest delivery again now.
    static func retryLatest(ofLead leadId: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws
        -> Delivery
    {
        let lead = try await scope.find(Lead.self, leadId, on: db)
        guard
            let latest = try await Delivery.query(on: db).filter(\.$leadId == lead.requireID())
                .sort(\.$createdAt, .descending).first()
        else { throw AppError.conflict(field: nil, message: "Ce lead n'a aucune livraison à relancer.") }
        return try await retry(latest.id, scope: scope, now: now, on: db)
    }

    /// Stops a waiting delivery.
    static func cancel(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws -> Delivery {
        try scope.require(.edit)
        let delivery = try await scope.find(Delivery.self, id, on: db)
        guard delivery.status.isWaiting || delivery.status.needsHuman else {
            throw AppError.conflict(
                field: nil, message: "Seule une livraison en attente ou en échec peut être annulée.")
        }
        try await db.transaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.update("deliveries").set("status", to: DeliveryStatus.cancelled.rawValue)
                .set("lease_owner", to: SQLLiteral.null).set("lease_until", to: SQLLiteral.null)
                .set("next_attempt_at", to: SQLLiteral.null).set("updated_at", to: now)
                .where("id", .equal, delivery.id!).run()
            try await sql.update("leads").set("status", to: LeadStatus.notSent.rawValue).set("updated_at", to: now)
                .where("id", .equal, delivery.leadId).run()
            try await ActivityService.record(
                .update, objectType: "lead", objectId: delivery.leadId, summary: "Livraison annulée", scope: scope,
                at: now, on: tx)
        }
        return try await scope.find(Delivery.self, delivery.id, on: db)
    }

    /// Sends again every exhausted, refused or auth-error delivery of a CRM; returns how many.
    /// "Relancer les échecs": the deliveries that need a person (exhausted, refused, auth errors
    /// by default) go back to the queue — of one CRM, or of every CRM the user sees, optionally
    /// only those of leads received in the last `hours` (the first version's `retry-failed?hours=24`).
    static func retryAll(
        crmId: UUID?, statuses: [String]?, hours: Int? = nil, scope: TenantScope, now: Date, on db: any Database
    ) async throws -> Int {
        try scope.require(.edit)
        let crm = try await crmId.asyncMap { try await scope.find(Crm.self, $0, on: db) }
        let wanted = statuses?.isEmpty == false ? statuses! : ["exhausted", "refused", "auth_error"]
        guard wanted.allSatisfy({ DeliveryStatus(rawValue: $0)?.needsHuman == true }) else {
            throw FieldErrors(["statuses": ["Choisissez parmi exhausted, refused et auth_error."]])
        }
        if let hours, !(1...8_760).contains(hours) {
            throw FieldErrors(["hours": ["Fenêtre invalide : de 1 à 8 760 heures."]])
        }
        var query = scope.query(Delivery.self, on: db).filter(\.$statusRaw ~~ wanted)
        if let crm { query = query.filter(\.$crmId == crm.id!) }
        if let hours { query = query.filter(\.$createdAt >= now.addingTimeInterval(-Double(hours) * 3_600)) }
        let ids = try await query.all().compactMap(\.id)
        guard !ids.isEmpty else { return 0 }
        try await db.transaction { tx in
            for chunk in ids.chunked(500) { try await requeue(chunk, now: now, on: tx) }
            let target = crm.map { "vers \($0.name)" } ?? "vers tous les CRM"
            try await ActivityService.record(
                .update, objectType: "crm", objectId: crm?.id,
                summary: "\(ids.count) livraison(s) en échec relancée(s) \(target)"
                    + (hours.map { " (dernières \($0) h)" } ?? ""),
                scope: scope, at: now, on: tx)
        }
        return ids.count
    }

    /// Deletes delivered (and CRM-duplicate) rows older than `days`, with their attempts.
    static func purgeDelivered(olderThanDays days: Int, scope: TenantScope, now: Date, on db: any Database) async throws
        -> Int
    {
        try scope.require(.manageCrms)
        guard days >= 1, days <= 3_650 else {
            throw FieldErrors(["older_than_days": ["Indiquez un nombre de jours entre 1 et 3 650."]])
        }
        let limit = now.addingTimeInterval(-Double(days) * 86_400)
        let ids = try await scope.query(Delivery.self, on: db).filter(\.$statusRaw ~~ ["delivered", "duplicate"])
            .filter(\.$updatedAt < limit).all().compactMap(\.id)
        guard !ids.isEmpty else { return 0 }
        try await db.transaction { tx in
            let sql = tx as! any SQLDatabase
            for chunk in ids.chunked(500) {
                try await sql.delete(from: "delivery_attempts").where("delivery_id", .in, chunk).run()
                try await sql.delete(from: "deliveries").where("id", .in, chunk).run()
            }
            try await ActivityService.record(
                .delete, objectType: "delivery",
                summary: "\(ids.count) livraison(s) abouties de plus de \(days) jours purgée(s)",
                scope: scope, at: now, on: tx)
        }
        return ids.count
    }

    /// Sends a lead to a CRM an admin chooses: a new delivery, the waiting one cancelled, the
    /// lead's routing updated (billable when it is not the lead's origin CRM).
    static func forceSend(leadId: UUID?, crmId: UUID?, scope: TenantScope, now: Date, on db: any Database)
        async throws -> Delivery
    {
        try scope.require(.manageCrms)
        let lead = try await scope.find(Lead.self, leadId, on: db)
        if let state = LeadStatus(rawValue: lead.status), state.awaitsReview || state == .rejected {
            throw AppError.conflict(
                field: nil,
                message: "Ce lead est « \(state.label) » : libérez-le depuis sa fiche (À vérifier) avant de l'envoyer.")
        }
        guard let crmId else { throw FieldErrors(["crm_id": ["Choisissez le CRM destinataire."]]) }
        guard let crm = try await scope.query(Crm.self, on: db).filter(\.$id == crmId).first() else {
            throw FieldErrors(["crm_id": ["CRM introuvable."]])
        }
        let delivery = Delivery()
        delivery.id = TimeOrderedID.make(at: now)
        delivery.organizationId = scope.organizationId
        delivery.leadId = try lead.requireID()
        delivery.crmId = crmId
        delivery.productType = lead.productType
        delivery.statusRaw = DeliveryStatus.pending.rawValue
        delivery.attempts = 0
        delivery.nextAttemptAt = now
        delivery.createdAt = now
        delivery.updatedAt = now
        try await db.transaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.update("deliveries").set("status", to: DeliveryStatus.cancelled.rawValue)
                .set("lease_owner", to: SQLLiteral.null).set("lease_until", to: SQLLiteral.null).set(
                    "updated_at", to: now
                )
                .where("lead_id", .equal, delivery.leadId).where("status", .in, ["pending", "retrying"]).run()
            try await delivery.create(on: tx)
            let note = "Envoi forcé vers \(crm.name) par \(scope.userEmail) le \(FrenchFormat.dateTime(now))."
            lead.routedCrmId = crmId
            lead.rerouted = crmId != lead.crmId
            lead.unitPriceCents = crm.leadPrices[lead.productType].map { Int(($0 * 100).rounded()) }
            lead.routingExplanation = [lead.routingExplanation, note].compactMap { $0 }.joined(separator: " ")
            if lead.status != LeadStatus.duplicate.rawValue { lead.status = LeadStatus.received.rawValue }
            lead.updatedAt = now
            try await lead.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "lead", objectId: lead.id, summary: "Lead envoyé de force vers \(crm.name)",
                scope: scope, at: now, on: tx)
        }
        return delivery
    }

    /// Due now again, attempts kept, lease dropped; their leads wait again.
    private static func requeue(_ ids: [UUID], now: Date, on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await sql.update("deliveries").set("status", to: DeliveryStatus.pending.rawValue)
            .set("next_attempt_at", to: now).set("lease_owner", to: SQLLiteral.null).set(
                "lease_until", to: SQLLiteral.null
            )
            .set("updated_at", to: now).where("id", .in, ids).run()
        let leads = try await sql.select().column("lead_id").from("deliveries").where("id", .in, ids).all()
            .map { try $0.decode(column: "lead_id", as: UUID.self) }
        try await sql.update("leads").set("status", to: LeadStatus.received.rawValue).set("updated_at", to: now)
            .where("id", .in, leads).where("status", .notEqual, LeadStatus.duplicate.rawValue).run()
    }
}
