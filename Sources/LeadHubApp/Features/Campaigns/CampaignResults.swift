import Fluent
import Foundation
import LeadHubCore
import SQLKit

/// A campaign's numbers for its current phase, read from the stored assignments: distinct
/// visitors per variant (robots apart) and the visitors among them who left a valid lead on the
/// campaign's form after being assigned; then the verdict of `CampaignVerdict`.
struct CampaignReport: Sendable {
    struct Day: Sendable {
        let day: Int
        /// Cumulative visitors and leads per variant, in position order.
        let visitors: [Int]
        let leads: [Int]
    }

    let phase: Int
    let phaseStartedAt: Date?
    let phaseEndsAt: Date
    let elapsedDays: Double
    let weights: [Int]
    let visitors: [Int]
    let leads: [Int]
    let exposures: [Int]
    let robots: Int
    let days: [Day]
    let verdict: CampaignVerdict.Outcome
}

enum CampaignResults {
    static func report(_ campaign: Campaign, variants: [CampaignVariant], now: Date, on db: any Database)
        async throws -> CampaignReport
    {
        let sql = db as! any SQLDatabase
        let campaignId = try campaign.requireID()
        let start = campaign.phaseStartedAt
        let end =
            [campaign.decidedAt, campaign.status == .stopped ? campaign.stoppedAt : nil].compactMap { $0 }
            .min() ?? now
        let index = Dictionary(uniqueKeysWithValues: variants.enumerated().map { ($1.id!, $0) })
        var visitors = [Int](repeating: 0, count: variants.count)
        var exposures = [Int](repeating: 0, count: variants.count)
        var leads = [Int](repeating: 0, count: variants.count)
        var robots = 0
        let elapsed = start.map { CampaignRules.elapsedDays(from: $0, to: end) } ?? 0
        let dayCount = start == nil ? 0 : min(Int(elapsed) + 1, 400)
        var dailyVisitors = [[Int]](repeating: [Int](repeating: 0, count: variants.count), count: dayCount)
        var dailyLeads = dailyVisitors

        if campaign.phase > 0 {
            struct VisitorRow: Decodable {
                let variant_id: UUID
                let phase_day: Int
                let is_bot: Bool
                let n: Int
                let seen: Int
            }
            let rows = try await sql.select().column("variant_id").column("phase_day").column("is_bot")
                .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .column(SQLRaw("CAST(SUM(exposures) AS BIGINT)"), as: "seen")
                .from("campaign_assignments").where("campaign_id", .equal, campaignId)
                .where("phase", .equal, campaign.phase).groupBy("variant_id").groupBy("phase_day").groupBy("is_bot")
                .all(decoding: VisitorRow.self)
            for row in rows {
                guard let position = index[row.variant_id] else { continue }
                if row.is_bot {
                    robots += row.n
                    continue
                }
                visitors[position] += row.n
                exposures[position] += row.seen
                if dayCount > 0 { dailyVisitors[min(max(row.phase_day, 0), dayCount - 1)][position] += row.n }
            }

            // Converted visitors: one per assigned visitor, at their first valid lead on the form.
            struct LeadRow: Decodable {
                let variant_id: UUID
                let first_lead: Date
            }
            let formJoin = campaign.mode == .landingPages ? "l.form_id = c.form_id" : "l.form_id = v.form_id"
            let converted = try await sql.select().column(SQLColumn("variant_id", table: "a"))
                .column(SQLFunction("MIN", args: SQLColumn("created_at", table: "l")), as: "first_lead")
                .from(SQLAlias(SQLIdentifier("campaign_assignments"), as: SQLIdentifier("a")))
                .join(
                    SQLAlias(SQLIdentifier("campaigns"), as: SQLIdentifier("c")), method: SQLJoinMethod.inner,
                    on: SQLColumn("id", table: "c"), .equal, SQLColumn("campaign_id", table: "a")
                )
                .join(
                    SQLAlias(SQLIdentifier("campaign_variants"), as: SQLIdentifier("v")), method: SQLJoinMethod.inner,
                    on: SQLColumn("id", table: "v"), .equal, SQLColumn("variant_id", table: "a")
                )
                .join(
                    SQLAlias(SQLIdentifier("leads"), as: SQLIdentifier("l")), method: SQLJoinMethod.inner,
                    on: SQLRaw(
                        "l.organization_id = a.organization_id AND l.visitor_id = a.visitor_id AND \(formJoin)")
                )
                .where(SQLColumn("campaign_id", table: "a"), .equal, SQLBind(campaignId))
                .where(SQLColumn("phase", table: "a"), .equal, SQLBind(campaign.phase))
                .where(SQLColumn("is_bot", table: "a"), .equal, SQLBind(false))
                .where(SQLColumn("created_at", table: "l"), .greaterThanOrEqual, SQLColumn("first_seen_at", table: "a"))
                .where(SQLColumn("created_at", table: "l"), .lessThanOrEqual, SQLBind(end))
                .where(SQLRaw("l.status NOT IN (\(LeadStatus.notConversionSQL))"))
                .groupBy(SQLColumn("variant_id", table: "a")).groupBy(SQLColumn("visitor_id", table: "a"))
                .all(decoding: LeadRow.self)
            for row in converted {
                guard let position = index[row.variant_id] else { continue }
                leads[position] += 1
                if dayCount > 0, let start {
                    let day = Int(CampaignRules.elapsedDays(from: start, to: row.first_lead))
                    dailyLeads[min(max(day, 0), dayCount - 1)][position] += 1
                }
            }
        }

        var days = [CampaignReport.Day]()
        var runningVisitors = [Int](repeating: 0, count: variants.count)
        var runningLeads = runningVisitors
        for day in 0..<dayCount {
            for position in variants.indices {
                runningVisitors[position] += dailyVisitors[day][position]
                runningLeads[position] += dailyLeads[day][position]
            }
            days.append(.init(day: day + 1, visitors: runningVisitors, leads: runningLeads))
        }
        let weights = variants.map(\.weight)
        let verdict = CampaignVerdict.evaluate(
            .init(
                arms: variants.enumerated().map { position, variant in
                    .init(
                        name: variant.name, weight: variant.weight, visitors: visitors[position],
                        leads: leads[position])
                },
                elapsedDays: elapsed, minDays: campaign.minDays, maxDays: campaign.maxDays,
                plannedVisitors: campaign.plannedVisitors,
                seed: UInt64(truncatingIfNeeded: campaign.seed.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) })))
        let notStarted = campaign.phase == 0
        return CampaignReport(
            phase: campaign.phase, phaseStartedAt: start, phaseEndsAt: end, elapsedDays: elapsed, weights: weights,
            visitors: visitors, leads: leads, exposures: exposures, robots: robots, days: days,
            verdict: notStarted
                ? verdict.replacing(
                    state: .tooEarly, sentence: "Campagne pas encore lancée : lancez-la pour répartir le trafic.")
                : verdict)
    }
}
