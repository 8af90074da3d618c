import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// Dashboard figures, read from the aggregate tables only (never from raw events or leads).
enum StatsService {
    /// What the figures are narrowed to, beyond the organization and the caller's visibility.
    struct Filter: Sendable {
        var lpId: UUID? = nil
        var formId: UUID? = nil
        var accountId: UUID? = nil
        var crmId: UUID? = nil
        var sourceId: UUID? = nil
    }

    /// A restricted user sees the traffic of their accounts only (ids are ours, not the caller's).
    static func visibleAccounts(_ scope: TenantScope) -> String {
        guard let visible = scope.visibleAccountIds else { return "" }
        let list = visible.isEmpty ? "''" : visible.map { "'\($0.uuidString)'" }.sorted().joined(separator: ",")
        return " AND \"account_id\" IN (\(list))"
    }

    /// The WHERE clause shared by every query on `stats_hourly`.
    static func conditions(_ scope: TenantScope, _ filter: Filter, range: DateInterval) -> SQLQueryString {
        var query: SQLQueryString = """
            "organization_id" = \(bind: scope.organizationId) AND "hour" >= \(bind: StatsHour.bucket(range.start)) AND "hour" < \(bind: StatsHour.bucket(range.end))
            """
        let text = StatsIncrements.text
        if let id = filter.lpId {
            query.appendInterpolation(unsafeRaw: " AND \"lp_id\" = "); query.appendInterpolation(bind: text(id))
        }
        if let id = filter.formId {
            query.appendInterpolation(unsafeRaw: " AND \"form_id\" = "); query.appendInterpolation(bind: text(id))
        }
        if let id = filter.accountId {
            query.appendInterpolation(unsafeRaw: " AND \"account_id\" = "); query.appendInterpolation(bind: text(id))
        }
        if let id = filter.crmId {
            query.appendInterpolation(unsafeRaw: " AND \"crm_id\" = "); query.appendInterpolation(bind: text(id))
        }
        if let id = filter.sourceId {
            query.appendInterpolation(unsafeRaw: " AND \"source_id\" = "); query.appendInterpolation(bind: text(id))
        }
        query.appendInterpolation(unsafeRaw: visibleAccounts(scope))
        return query
    }

    /// Sums cast back to integers: PostgreSQL sums BIGINTs as NUMERIC.
    static let sums = ["visits", "cta_clicks", "form_starts", "leads", "delivered", "duplicates"]
        .map { "CAST(SUM(\"\($0)\") AS BIGINT) AS \"\($0)\"" }.joined(separator: ", ")

    static func counts(_ row: any SQLRow) throws -> FunnelCounts {
        func value(_ column: String) throws -> Int { try row.decode(column: column, as: Int?.self) ?? 0 }
        return FunnelCounts(
            visits: try value("visits"), ctaClicks: try value("cta_clicks"), formStarts: try value("form_starts"),
            leads: try value("leads"), delivered: try value("delivered"), duplicates: try value("duplicates"))
    }

    static func funnel(_ scope: TenantScope, _ filter: Filter, range: DateInterval, on db: any Database) async throws
        -> FunnelCounts
    {
        var query: SQLQueryString = "SELECT \(unsafeRaw: sums) FROM \"stats_hourly\" WHERE "
        query.appendInterpolation(conditions(scope, filter, range: range))
        guard let row = try await (db as! any SQLDatabase).raw(query).first() else { return FunnelCounts() }
        return try counts(row)
    }

    enum Interval: String, Sendable { case hour, day }

    struct Point: Sendable {
        let start: Date
        let counts: FunnelCounts
    }

    /// Counts per hour or per Paris day over the range, every slot present (zeros included).
    static func timeseries(
        _ scope: TenantScope, _ filter: Filter, range: DateInterval, interval: Interval, on db: any Database
    ) async throws -> [Point] {
        var query: SQLQueryString = "SELECT \"hour\", \(unsafeRaw: sums) FROM \"stats_hourly\" WHERE "
        query.appendInterpolation(conditions(scope, filter, range: range))
        query.appendInterpolation(unsafeRaw: " GROUP BY \"hour\"")
        var byHour: [Int: FunnelCounts] = [:]
        for row in try await (db as! any SQLDatabase).raw(query).all() {
            byHour[try row.decode(column: "hour", as: Int.self)] = try counts(row)
        }
        var points: [Point] = []
        switch interval {
        case .hour:
            for hour in StatsHour.bucket(range.start)..<StatsHour.bucket(range.end) {
                points.append(Point(start: StatsHour.start(hour), counts: byHour[hour] ?? FunnelCounts()))
            }
        case .day:
            var day = range.start
            while day < range.end {
                let next = ParisDay.calendar.date(byAdding: .day, value: 1, to: day)!
                var total = FunnelCounts()
                for hour in StatsHour.bucket(day)..<StatsHour.bucket(next) {
                    if let c = byHour[hour] { total = total + c }
                }
                points.append(Point(start: day, counts: total))
                day = next
            }
        }
        return points
    }

    /// Counts per value of one dimension (lp_id, form_id, account_id, crm_id, source_id, product_type).
    static func breakdown(
        _ scope: TenantScope, _ filter: Filter, range: DateInterval, by dimension: String, on db: any Database
    ) async throws -> [(key: String, counts: FunnelCounts)] {
        precondition(StatsDimensions.hourly.contains(dimension))
        var query: SQLQueryString =
            "SELECT \"\(unsafeRaw: dimension)\" AS \"key\", \(unsafeRaw: sums) FROM \"stats_hourly\" WHERE "
        query.appendInterpolation(conditions(scope, filter, range: range))
        query.appendInterpolation(unsafeRaw: " GROUP BY \"\(dimension)\"")
        return try await (db as! any SQLDatabase).raw(query).all().map {
            (try $0.decode(column: "key", as: String.self), try counts($0))
        }.sorted {
            $0.counts.leads != $1.counts.leads ? $0.counts.leads > $1.counts.leads : $0.counts.visits > $1.counts.visits
        }
    }

    /// Leads and delivered leads per département over the Paris days of the range.
    static func departements(
        _ scope: TenantScope, accountId: UUID?, crmId: UUID?, range: DateInterval, on db: any Database
    ) async throws -> [(departement: String, leads: Int, delivered: Int)] {
        var query: SQLQueryString = """
            SELECT "departement", CAST(SUM("leads") AS BIGINT) AS "leads", CAST(SUM("delivered") AS BIGINT) AS "delivered" FROM "stats_daily_departements"
            WHERE "organization_id" = \(bind: scope.organizationId) AND "day" >= \(bind: ParisDay.number(range.start)) AND "day" < \(bind: ParisDay.number(range.end))
            """
        if let accountId {
            query.appendInterpolation(unsafeRaw: " AND \"account_id\" = ");
            query.appendInterpolation(bind: accountId.uuidString)
        }
        if let crmId {
            query.appendInterpolation(unsafeRaw: " AND \"crm_id\" = ");
            query.appendInterpolation(bind: crmId.uuidString)
        }
        query.appendInterpolation(unsafeRaw: visibleAccounts(scope))
        query.appendInterpolation(unsafeRaw: " GROUP BY \"departement\"")
        return try await (db as! any SQLDatabase).raw(query).all().map {
            (
                try $0.decode(column: "departement", as: String.self),
                try $0.decode(column: "leads", as: Int?.self) ?? 0,
                try $0.decode(column: "delivered", as: Int?.self) ?? 0
            )
        }
    }
}
