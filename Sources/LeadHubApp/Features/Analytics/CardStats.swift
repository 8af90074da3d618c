import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// Live statistics on the LP and form cards, for the period chosen above the cards, from the
/// aggregate tables. A page whose statistics were "reset" counts from its `stats_since` date
/// (nothing is deleted: the dashboard keeps every figure).
struct CardStats: Encodable {
    let visits: String
    let ctaClicks: String
    let formStarts: String
    let leads: String
    /// Visit → lead for an LP, form start → lead for a form.
    let conversion: String
    /// "depuis le 12/11/2026 à 15h" when the page counts from a later date than the period's start.
    let since: String?
}

/// Pages whose statistics can start at a chosen date.
protocol CountsStatsSince: AnyObject {
    var statsSince: Date? { get set }
}

extension LandingPage: CountsStatsSince {}
extension Form: CountsStatsSince {}

extension CardSupport {
    static func periodOptions(_ selected: AnalyticsPeriod) -> [SelectOption] {
        AnalyticsPeriod.choices.filter { $0.key != "custom" }.map {
            SelectOption(value: $0.key, label: $0.label, selected: $0.key == selected.key)
        }
    }

    /// Counts per page (`lp_id` or `form_id`) over the range, each from its own `stats_since`
    /// when later: one grouped query per distinct starting hour.
    static func stats(
        dimension: String, pages: [(id: UUID, since: Date?)], range: DateInterval, scope: TenantScope,
        on db: any Database
    ) async throws -> [UUID: (FunnelCounts, Date?)] {
        precondition(dimension == "lp_id" || dimension == "form_id")
        var byStart: [Date: [UUID]] = [:]
        for page in pages {
            // Counts are hourly: a reset counts from the next whole hour (nothing of the hour
            // before the reset, at the cost of up to an hour not counted).
            let since = page.since.map { StatsHour.start(StatsHour.bucket($0.addingTimeInterval(3_599))) }
            let start = max(range.start, since ?? range.start)
            byStart[start, default: []].append(page.id)
        }
        var result: [UUID: (FunnelCounts, Date?)] = [:]
        for (start, ids) in byStart {
            let counted = start > range.start ? start : nil
            guard start < range.end else {
                for id in ids { result[id] = (FunnelCounts(), counted) }
                continue
            }
            let list = ids.map { "'\($0.uuidString)'" }.joined(separator: ",")
            let rows = try await (db as! any SQLDatabase).raw(
                """
                SELECT "\(unsafeRaw: dimension)" AS "key", \(unsafeRaw: StatsService.sums) FROM "stats_hourly"
                WHERE "organization_id" = \(bind: scope.organizationId) AND "hour" >= \(bind: StatsHour.bucket(start))
                  AND "hour" < \(bind: StatsHour.bucket(range.end)) AND "\(unsafeRaw: dimension)" IN (\(unsafeRaw: list))
                GROUP BY "\(unsafeRaw: dimension)"
                """
            ).all()
            for id in ids { result[id] = (FunnelCounts(), counted) }
            for row in rows {
                if let id = UUID(uuidString: try row.decode(column: "key", as: String.self)) {
                    result[id] = (try StatsService.counts(row), counted)
                }
            }
        }
        return result
    }

    static func cardStats(_ entry: (FunnelCounts, Date?)?, form: Bool) -> CardStats {
        let counts = entry?.0 ?? FunnelCounts()
        let date = DateFormatter()
        date.locale = Locale(identifier: "fr_FR")
        date.timeZone = FrenchFormat.parisTimeZone
        date.dateFormat = "dd/MM/yyyy 'à' H'h'"
        return CardStats(
            visits: FrenchFormat.integer(counts.visits), ctaClicks: FrenchFormat.integer(counts.ctaClicks),
            formStarts: FrenchFormat.integer(counts.formStarts), leads: FrenchFormat.integer(counts.leads),
            conversion: form
                ? DashboardStats.percent(counts.leads, counts.formStarts)
                : DashboardStats.percent(counts.leads, counts.visits),
            since: entry?.1.map { "depuis le " + date.string(from: $0) })
    }

    /// "Remettre les statistiques à zéro": the card counts from now on; "tout compter" undoes it.
    static func setStatsSince<M: TenantOwned & CountsStatsSince>(
        _ model: M, reset: Bool, label: String, objectType: String, scope: TenantScope, now: Date, on db: any Database
    ) async throws {
        try scope.require(.edit)
        model.statsSince = reset ? now : nil
        try await db.transaction { tx in
            try await model.save(on: tx)
            try await ActivityService.record(
                .update, objectType: objectType, objectId: model.id,
                summary: reset
                    ? "Statistiques de \(label) comptées à partir de maintenant"
                    : "Statistiques de \(label) comptées depuis le début",
                scope: scope, at: now, on: tx)
        }
    }
}
