import Foundation
import LeadHubCore

/// Routing inside the transaction that stores the leads: the counters that quotas and limits are
/// checked against are read and written in that same transaction (one writer on SQLite, a lock
/// per organization on PostgreSQL), so that concurrent leads cannot overrun them.
extension LeadWriter {
    /// One counter: leads routed to a CRM for a product in a period (`2026-W48`, `2026-11`), or
    /// rerouted to it in a month (`R2026-11`).
    struct CounterKey: Hashable, Sendable {
        let organizationId: UUID
        let crmId: UUID
        let productType: String
        let period: String
    }

    /// The counters a batch reads: per organization and product, the periods of its leads.
    struct CounterQuery {
        let organizationId: UUID
        let productType: String
        let periods: [String]
    }

    struct RoutedLead: Sendable {
        let decision: RoutingDecision
        let priceCents: Int?
        let deliveryId: UUID
        let deliveryStatus: DeliveryStatus
    }

    struct RoutingPlan {
        var routed: [UUID: RoutedLead] = [:]
        var increments: [CounterKey: Int] = [:]
    }

    static func periods(at date: Date) -> (week: String, month: String, rerouted: String) {
        let keys = RoutingPeriod.keys(for: date)
        return (keys.week, keys.month, "R" + keys.month)
    }

    static func counterQueries(_ leads: [(LeadDraft, StoredLead)]) -> [CounterQuery] {
        var wanted: [String: (UUID, String, Set<String>)] = [:]
        for (draft, stored) in leads where stored.status == .received {
            let p = periods(at: draft.receivedAt)
            let key = draft.organizationId.text + "|" + draft.productType
            var entry = wanted[key] ?? (draft.organizationId, draft.productType, [])
            entry.2.formUnion([p.week, p.month, p.rerouted])
            wanted[key] = entry
        }
        return wanted.values.map { CounterQuery(organizationId: $0.0, productType: $0.1, periods: $0.2.sorted()) }
    }

    /// Routes the batch's new leads in arrival order; each decision counts for the next ones.
    static func plan(_ leads: [(LeadDraft, StoredLead)], counters: [CounterKey: Int]) -> RoutingPlan {
        var counts = counters
        var plan = RoutingPlan()
        // Only new leads and duplicates are routed (a duplicate gets its « not sent » delivery); a
        // lead kept for review or rejected has no delivery until an editor releases it.
        for (draft, stored) in leads where stored.status == .received || stored.status == .duplicate {
            let p = periods(at: draft.receivedAt)
            func key(_ crm: UUID, _ period: String) -> CounterKey {
                CounterKey(
                    organizationId: draft.organizationId, crmId: crm, productType: draft.productType, period: period)
            }
            let crms = draft.routing.crms.map { entry in
                RoutingCrm(
                    id: entry.id, slug: entry.slug, name: entry.name, order: entry.orders[draft.productType],
                    monthlyRoutingLimit: entry.limits[draft.productType],
                    counts: RoutingCounts(
                        week: counts[key(entry.id, p.week)] ?? 0, month: counts[key(entry.id, p.month)] ?? 0,
                        reroutedMonth: counts[key(entry.id, p.rerouted)] ?? 0))
            }
            let decision = Router.route(
                RoutingInput(
                    productType: draft.productType, departement: draft.lead.departement,
                    excludedFromRouting: draft.excludeFromRouting, isDuplicate: stored.status == .duplicate,
                    originCrmId: draft.crmId, crms: crms))
            var price: Int? = nil
            if let destination = decision.destination {
                var touched = [key(destination, p.week), key(destination, p.month)]
                if decision.isRerouted { touched.append(key(destination, p.rerouted)) }
                for counter in touched {
                    counts[counter, default: 0] += 1
                    plan.increments[counter, default: 0] += 1
                }
                price = draft.routing.crms.first { $0.id == destination }?.prices[draft.productType]
                    .map { Int(($0 * 100).rounded()) }
            }
            plan.routed[draft.id] = RoutedLead(
                decision: decision, priceCents: price, deliveryId: TimeOrderedID.make(at: draft.receivedAt),
                deliveryStatus: decision.destination == nil ? .notSent : .pending)
        }
        return plan
    }

    /// The batch's leads as counted in the dashboard aggregates.
    static func stats(_ leads: [(LeadDraft, StoredLead)]) -> StatsIncrements {
        var stats = StatsIncrements()
        for (draft, stored) in leads {
            stats.addLead(
                organizationId: draft.organizationId, at: draft.receivedAt, lp: draft.landingPageId, form: draft.formId,
                account: draft.accountId, crm: draft.crmId, source: draft.diffusionSourceId, product: draft.productType,
                departement: draft.lead.departement, duplicate: stored.status == .duplicate)
        }
        return stats
    }

    static let upsertCounter = """
        INSERT INTO "routing_counters" ("organization_id", "crm_id", "product_type", "period", "count")
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT ("organization_id", "crm_id", "product_type", "period")
        DO UPDATE SET "count" = "routing_counters"."count" + excluded."count"
        """
}
