import Foundation
import LeadHubCore
import SQLKit
import SQLiteNIO

/// Additions to the aggregate tables, gathered for one transaction and written as upserts (one
/// row per key: a PostgreSQL upsert cannot touch the same row twice in one statement). Written by
/// the event ingestion, the lead writer (in the transaction that stores the leads) and the
/// delivery settlement, so that dashboards read counts and never raw rows.
struct StatsIncrements: Sendable {
    /// One row of `stats_hourly`. Dimensions are ids as text, '' when none.
    struct HourKey: Hashable, Sendable {
        var organizationId: UUID
        var hour: Int
        var lp = ""
        var form = ""
        var account = ""
        var crm = ""
        var source = ""
        var product = ""

        var dimensions: [String] { [lp, form, account, crm, source, product] }
    }

    /// One row of `stats_daily_departements`.
    struct DayKey: Hashable, Sendable {
        var organizationId: UUID
        var day: Int
        var departement = ""
        var account = ""
        var crm = ""
        var product = ""

        var dimensions: [String] { [departement, account, crm, product] }
    }

    enum Measure: Int, CaseIterable { case visits, ctaClicks, formStarts, formSteps, leads, duplicates, delivered }

    private(set) var hourly: [HourKey: [Int]] = [:]
    private(set) var daily: [DayKey: [Int]] = [:]

    var isEmpty: Bool { hourly.isEmpty && daily.isEmpty }

    mutating func add(_ measure: Measure, _ key: HourKey, _ count: Int = 1) {
        hourly[key, default: Array(repeating: 0, count: Measure.allCases.count)][measure.rawValue] += count
    }

    mutating func addDaily(leads: Int = 0, delivered: Int = 0, _ key: DayKey) {
        var values = daily[key, default: [0, 0]]
        values[0] += leads
        values[1] += delivered
        daily[key] = values
    }

    static func text(_ id: UUID?) -> String { id?.text ?? "" }

    /// A lead as counted: in its arrival hour, and in its Paris day and département.
    mutating func addLead(
        organizationId: UUID, at date: Date, lp: UUID?, form: UUID, account: UUID, crm: UUID, source: UUID?,
        product: String,
        departement: String?, duplicate: Bool
    ) {
        let key = HourKey(
            organizationId: organizationId, hour: StatsHour.bucket(date), lp: Self.text(lp), form: Self.text(form),
            account: Self.text(account), crm: Self.text(crm), source: Self.text(source), product: product)
        add(.leads, key)
        if duplicate { add(.duplicates, key) }
        addDaily(
            leads: 1,
            DayKey(
                organizationId: organizationId, day: ParisDay.number(date), departement: departement ?? "",
                account: Self.text(account), crm: Self.text(crm), product: product))
    }

    /// A lead accepted by its CRM, counted in the hour and day the lead arrived (the funnel of a
    /// period follows that period's leads to the end).
    mutating func addDelivered(_ lead: LeadStatsRef) {
        add(.delivered, lead.hourKey)
        addDaily(delivered: 1, lead.dayKey)
    }

    private static let hourlyColumns =
        ["organization_id", "hour"] + StatsDimensions.hourly + StatsDimensions.hourlyMeasures
    private static let dailyColumns =
        ["organization_id", "day"] + StatsDimensions.daily + StatsDimensions.dailyMeasures

    static func upsert(table: String, columns: [String], keyCount: Int, rows: Int) -> String {
        let quoted = columns.map { "\"\($0)\"" }
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let measures = columns[keyCount...].map { "\"\($0)\" = \"\(table)\".\"\($0)\" + excluded.\"\($0)\"" }
        return "INSERT INTO \"\(table)\" (" + quoted.joined(separator: ",") + ") VALUES "
            + Array(repeating: row, count: rows).joined(separator: ",")
            + " ON CONFLICT (" + quoted[..<keyCount].joined(separator: ",") + ") DO UPDATE SET "
            + measures.joined(separator: ", ")
    }

    private static let hourlyKeyCount = 2 + StatsDimensions.hourly.count
    private static let dailyKeyCount = 2 + StatsDimensions.daily.count
    /// One-row upserts, for the lead writer's prepared statements (built once).
    private static let hourlyUpsertOne = upsert(
        table: "stats_hourly", columns: hourlyColumns, keyCount: hourlyKeyCount, rows: 1)
    private static let dailyUpsertOne = upsert(
        table: "stats_daily_departements", columns: dailyColumns, keyCount: dailyKeyCount, rows: 1)

    /// The rows to upsert, per table: organization, hour or day, dimensions, measures.
    private var rows:
        [(table: String, columns: [String], keyCount: Int, one: String, values: [(UUID, Int, [String], [Int])])]
    {
        [
            (
                "stats_hourly", Self.hourlyColumns, Self.hourlyKeyCount, Self.hourlyUpsertOne,
                hourly.map { ($0.key.organizationId, $0.key.hour, $0.key.dimensions, $0.value) }
            ),
            (
                "stats_daily_departements", Self.dailyColumns, Self.dailyKeyCount, Self.dailyUpsertOne,
                daily.map { ($0.key.organizationId, $0.key.day, $0.key.dimensions, $0.value) }
            ),
        ]
    }

    /// Writes through SQLKit (PostgreSQL, and SQLite outside the lead writer), 100 rows a statement.
    func write(on sql: any SQLDatabase) async throws {
        for table in rows {
            for chunk in table.values.chunked(100) {
                var binds: [any Encodable & Sendable] = []
                for (organizationId, slot, dimensions, values) in chunk {
                    binds.append(organizationId)
                    binds.append(slot)
                    for dimension in dimensions { binds.append(dimension) }
                    for value in values { binds.append(value) }
                }
                let text = Self.upsert(
                    table: table.table, columns: table.columns, keyCount: table.keyCount, rows: chunk.count)
                try await sql.raw(Self.statement(text, binds)).run()
            }
        }
    }

    /// The upsert with its values bound (`SQLQueryString` binds by interpolation).
    private static func statement(_ text: String, _ binds: [any Encodable & Sendable]) -> SQLQueryString {
        var query: SQLQueryString = ""
        var index = 0
        for part in text.split(separator: "?", omittingEmptySubsequences: false).enumerated() {
            if part.offset > 0 {
                query.appendInterpolation(bind: binds[index])
                index += 1
            }
            query.appendInterpolation(unsafeRaw: String(part.element))
        }
        return query
    }

    /// Writes on the lead writer's own SQLite connection, inside its transaction.
    func write(on database: RawSQLite) throws {
        for table in rows {
            for (organizationId, slot, dimensions, values) in table.values {
                try database.run(
                    table.one,
                    [.text(organizationId.text), .integer(slot)] + dimensions.map { .text($0) }
                        + values.map { .integer($0) })
            }
        }
    }
}

/// Where a lead is counted in the aggregates (read with the lead when it is delivered).
struct LeadStatsRef: Sendable {
    let hourKey: StatsIncrements.HourKey
    let dayKey: StatsIncrements.DayKey
}

/// The columns of the aggregate tables as the writers use them (created by migration 024, which
/// spells them out; a new dimension is a new migration and a new name here).
enum StatsDimensions {
    static let hourly = ["lp_id", "form_id", "account_id", "crm_id", "source_id", "product_type"]
    static let hourlyMeasures = [
        "visits", "cta_clicks", "form_starts", "form_steps", "leads", "duplicates", "delivered",
    ]
    static let daily = ["departement", "account_id", "crm_id", "product_type"]
    static let dailyMeasures = ["leads", "delivered"]
}
