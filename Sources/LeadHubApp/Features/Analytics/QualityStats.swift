import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// Quality and returns of the period's leads by diffusion source, landing page, form and buying
/// CRM: how many waited in « À vérifier » or were rejected, their average quality score, and the
/// share of delivered leads returned with the return accepted. Read from the leads themselves (the
/// review and return states change after intake, so they are not in the hourly aggregates), in one
/// grouped query over the `(organization_id, created_at)` index.
enum QualityStats {
    struct Figures: Sendable, Equatable {
        var leads = 0
        var flagged = 0
        var scoreSum = 0
        var scored = 0
        var delivered = 0
        var returned = 0

        static func + (a: Figures, b: Figures) -> Figures {
            Figures(
                leads: a.leads + b.leads, flagged: a.flagged + b.flagged, scoreSum: a.scoreSum + b.scoreSum,
                scored: a.scored + b.scored, delivered: a.delivered + b.delivered, returned: a.returned + b.returned)
        }
    }

    struct Row: Encodable, Content {
        let name: String
        let href: String?
        let leads: String
        let flagged: String
        let flaggedRate: String
        let averageScore: String
        let delivered: String
        let returned: String
        let returnRate: String
        let tone: String

        enum CodingKeys: String, CodingKey {
            case name, href, leads, flagged, flaggedRate = "flagged_rate", averageScore = "average_score", delivered
            case returned, returnRate = "return_rate", tone
        }
    }

    struct Table: Encodable, Content {
        let id: String
        let title: String
        let rows: [Row]
    }

    /// `(source, lp, form, buying CRM)` → figures, for the period.
    static func grouped(scope: TenantScope, crmId: UUID?, range: DateInterval, on db: any Database) async throws
        -> [(source: String, lp: String, form: String, crm: String, figures: Figures)]
    {
        let review = (LeadStatus.awaitingReview + [.rejected]).map { "'\($0.rawValue)'" }.joined(separator: ",")
        let billed = BillingService.billedStatuses.map { "'\($0)'" }.joined(separator: ",")
        var query: SQLQueryString = """
            SELECT "diffusion_source_id" AS "source", "landing_page_id" AS "lp", "form_id" AS "form", "routed_crm_id" AS "crm",
            COUNT(*) AS "leads",
            CAST(SUM(CASE WHEN "status" IN (\(unsafeRaw: review)) THEN 1 ELSE 0 END) AS BIGINT) AS "flagged",
            CAST(SUM(COALESCE("quality_score", 0)) AS BIGINT) AS "score_sum", COUNT("quality_score") AS "scored",
            CAST(SUM(CASE WHEN "status" IN (\(unsafeRaw: billed)) THEN 1 ELSE 0 END) AS BIGINT) AS "delivered",
            CAST(SUM(CASE WHEN "return_status" = 'accepted' THEN 1 ELSE 0 END) AS BIGINT) AS "returned"
            FROM "leads" WHERE "organization_id" = \(bind: scope.organizationId)
            AND "created_at" >= \(bind: range.start) AND "created_at" < \(bind: range.end)
            """
        if let crmId {
            query.appendInterpolation(unsafeRaw: " AND \"crm_id\" = ")
            query.appendInterpolation(bind: crmId)
        }
        if let visible = scope.visibleAccountIds {
            let list = visible.isEmpty ? "NULL" : visible.map { "'\($0.uuidString)'" }.sorted().joined(separator: ",")
            query.appendInterpolation(unsafeRaw: " AND \"account_id\" IN (\(list))")
        }
        query.appendInterpolation(
            unsafeRaw: " GROUP BY \"diffusion_source_id\", \"landing_page_id\", \"form_id\", \"routed_crm_id\"")
        return try await (db as! any SQLDatabase).raw(query).all().map { row in
            func id(_ column: String) throws -> String {
                try row.decode(column: column, as: UUID?.self)?.uuidString ?? ""
            }
            func int(_ column: String) throws -> Int { try row.decode(column: column, as: Int?.self) ?? 0 }
            return (
                try id("source"), try id("lp"), try id("form"), try id("crm"),
                Figures(
                    leads: try int("leads"), flagged: try int("flagged"), scoreSum: try int("score_sum"),
                    scored: try int("scored"), delivered: try int("delivered"), returned: try int("returned"))
            )
        }
    }

    static func row(_ name: String, _ href: String?, _ f: Figures) -> Row {
        let returnRate = f.delivered == 0 ? 0 : Double(f.returned) / Double(f.delivered)
        let flaggedRate = f.leads == 0 ? 0 : Double(f.flagged) / Double(f.leads)
        return Row(
            name: name, href: href, leads: FrenchFormat.integer(f.leads), flagged: FrenchFormat.integer(f.flagged),
            flaggedRate: DashboardStats.percent(f.flagged, f.leads),
            averageScore: f.scored == 0 ? "—" : String(Int((Double(f.scoreSum) / Double(f.scored)).rounded())),
            delivered: FrenchFormat.integer(f.delivered), returned: FrenchFormat.integer(f.returned),
            returnRate: DashboardStats.percent(f.returned, f.delivered),
            tone: returnRate > 0.15 || flaggedRate > 0.3
                ? "bad" : returnRate > 0.05 || flaggedRate > 0.1 ? "warn" : "good")
    }

    /// The four tables of the dashboard's « Qualité et retours ».
    static func tables(scope: TenantScope, crmId: UUID?, range: DateInterval, on db: any Database) async throws
        -> [Table]
    {
        let groups = try await grouped(scope: scope, crmId: crmId, range: range, on: db)
        guard !groups.isEmpty else { return [] }
        func names<M: Model>(_ models: [M], _ name: (M) -> String) -> [String: String] where M.IDValue == UUID {
            Dictionary(models.compactMap { m in m.id.map { ($0.uuidString, name(m)) } }) { a, _ in a }
        }
        let sources = names(try await scope.query(DiffusionSource.self, on: db).all()) { $0.name }
        let pages = names(try await scope.query(LandingPage.self, on: db).all()) { "\($0.code) · \($0.name)" }
        let forms = names(try await scope.query(Form.self, on: db).all()) { "\($0.code) · \($0.name)" }
        let crms = names(try await scope.query(Crm.self, on: db).all()) { $0.name }
        func table(
            _ id: String, _ title: String, key: (String, String, String, String) -> String, names: [String: String],
            empty: String, href: ((String) -> String)?
        ) -> Table {
            var sums: [String: Figures] = [:]
            for g in groups {
                sums[key(g.source, g.lp, g.form, g.crm), default: Figures()] =
                    sums[key(g.source, g.lp, g.form, g.crm), default: Figures()] + g.figures
            }
            let rows = sums.sorted {
                $0.value.leads != $1.value.leads ? $0.value.leads > $1.value.leads : $0.key < $1.key
            }
            .map { key, figures in
                row(key.isEmpty ? empty : names[key] ?? "Supprimé", key.isEmpty ? nil : href?(key), figures)
            }
            return Table(id: id, title: title, rows: rows)
        }
        return [
            table(
                "quality-by-source", "Qualité par source de diffusion", key: { s, _, _, _ in s }, names: sources,
                empty: "Sans source", href: nil),
            table(
                "quality-by-lp", "Qualité par landing page", key: { _, l, _, _ in l }, names: pages,
                empty: "Sans landing page", href: { "/landing-pages/\($0)" }),
            table(
                "quality-by-form", "Qualité par formulaire", key: { _, _, f, _ in f }, names: forms,
                empty: "Formulaire inconnu", href: { "/forms/\($0)" }),
            table(
                "quality-by-crm", "Retours par CRM acheteur", key: { _, _, _, c in c }, names: crms,
                empty: "Non routé", href: { "/crms/\($0)" }),
        ]
    }
}
