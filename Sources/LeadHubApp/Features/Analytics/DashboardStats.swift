import Fluent
import Foundation
import LeadHubCore
import Vapor

/// The statistics of the "Tableau de bord" page: KPIs with their change, funnel and time series
/// charts (SVG from the server), tables by LP, form, account, CRM, diffusion source and category,
/// département, and the best and worst pages. Every figure comes from the aggregate tables.
struct DashboardStats: Encodable {
    struct Choice: Encodable {
        let key: String
        let label: String
        let selected: Bool
    }

    struct Kpi: Encodable {
        let label: String
        let value: String
        let change: String?
        /// "up", "down" or "flat": the arrow's colour (for duplicates, down is good).
        let trend: String
        let hint: String
    }

    struct Rate: Encodable {
        let label: String
        let value: String
    }

    struct Row: Encodable {
        let name: String
        let href: String?
        let visits: String
        let ctaClicks: String
        let formStarts: String
        let leads: String
        let delivered: String
        let conversion: String
        let delivery: String
    }

    struct Table: Encodable {
        let id: String
        let title: String
        let rows: [Row]
    }

    struct Ranked: Encodable {
        let name: String
        let href: String?
        let rate: String
        let volume: String
    }

    struct Ranking: Encodable {
        let title: String
        let note: String
        let best: [Ranked]
        let worst: [Ranked]
    }

    struct DepartementRow: Encodable {
        let code: String
        let leads: String
        let delivered: String
        let share: String
    }

    let choices: [Choice]
    let period: String
    let from: String
    let to: String
    let custom: Bool
    let label: String
    let error: String?
    let kpis: [Kpi]
    let rates: [Rate]
    let funnelSVG: String
    let seriesSVG: String
    let tables: [Table]
    let rankings: [Ranking]
    let departements: [DepartementRow]
    let mapSVG: String
    let empty: Bool
    /// « Qualité et retours »: by source, LP, form and buying CRM.
    let quality: [QualityStats.Table]

    /// Minimum volume for a page to be ranked best or worst.
    static let minVisits = 30
    static let minStarts = 20

    static func percent(_ part: Int, _ whole: Int) -> String {
        guard whole > 0 else { return "—" }
        let value = Double(part) / Double(whole) * 100
        return String(format: value < 10 ? "%.1f" : "%.0f", value).replacingOccurrences(of: ".", with: ",") + " %"
    }

    static func change(_ current: Int, _ previous: Int) -> (String?, String) {
        guard let change = FunnelCounts.change(current, from: previous) else {
            return (current > 0 ? "nouveau" : nil, current > 0 ? "up" : "flat")
        }
        let value = change * 100
        let text = (value >= 0 ? "+" : "−") + String(format: "%.0f", abs(value)) + " %"
        return (text, abs(value) < 0.5 ? "flat" : value > 0 ? "up" : "down")
    }

    static func build(req: Request, scope: TenantScope, crmFilter: UUID?) async throws -> DashboardStats {
        let query = try req.query.decode(StatsAPIController.Query.self)
        var error: String? = nil
        var period = AnalyticsPeriod.named(query.period, from: query.from, to: query.to) ?? .last7Days
        if query.period == "custom", AnalyticsPeriod.named("custom", from: query.from, to: query.to) == nil {
            error = "Dates invalides : choisissez un début et une fin (la fin après le début)."
            period = .last7Days
        } else if case .custom = period, let range = Optional(period.range(now: req.now)),
            ParisDay.count(from: range.start, to: range.end) > 400
        {
            error = "Période de 400 jours au plus."
            period = .last7Days
        }
        let range = period.range(now: req.now)
        let previous = period.previousRange(now: req.now)
        var filter = StatsService.Filter()
        filter.crmId = crmFilter
        let db = req.db
        let counts = try await StatsService.funnel(scope, filter, range: range, on: db)
        let before = try await StatsService.funnel(scope, filter, range: previous, on: db)

        func kpi(_ label: String, _ now: Int, _ then: Int, hint: String, lowerIsBetter: Bool = false) -> Kpi {
            var (text, trend) = change(now, then)
            if lowerIsBetter, trend != "flat" { trend = trend == "up" ? "down" : "up" }
            return Kpi(label: label, value: FrenchFormat.integer(now), change: text, trend: trend, hint: hint)
        }
        let kpis = [
            kpi("Visites", counts.visits, before.visits, hint: "lp_visit reçus (robots exclus)"),
            kpi("Clics CTA", counts.ctaClicks, before.ctaClicks, hint: "cta_click (script ou lien /r/)"),
            kpi("Formulaires commencés", counts.formStarts, before.formStarts, hint: "form_start : première saisie"),
            kpi("Leads", counts.leads, before.leads, hint: "leads reçus, doublons compris"),
            kpi("Livrés", counts.delivered, before.delivered, hint: "acceptés par leur CRM"),
            kpi(
                "Doublons", counts.duplicates, before.duplicates, hint: "même téléphone et produit le même jour",
                lowerIsBetter: true),
        ]
        let rates = [
            Rate(label: "Visite → clic", value: percent(counts.ctaClicks, counts.visits)),
            Rate(label: "Clic → formulaire", value: percent(counts.formStarts, counts.ctaClicks)),
            Rate(label: "Formulaire → lead", value: percent(counts.leads, counts.formStarts)),
            Rate(label: "Visite → lead", value: percent(counts.leads, counts.visits)),
            Rate(label: "Lead → livré", value: percent(counts.delivered, counts.leads)),
        ]
        let funnelSVG = SVGCharts.funnel(
            [
                .init("Visites", counts.visits), .init("Clics CTA", counts.ctaClicks),
                .init("Formulaires commencés", counts.formStarts), .init("Leads", counts.leads),
                .init("Livrés", counts.delivered),
            ], id: "funnel", title: "Entonnoir de conversion")
        let days = ParisDay.count(from: range.start, to: range.end)
        let interval: StatsService.Interval = days <= 2 ? .hour : .day
        let points = try await StatsService.timeseries(scope, filter, range: range, interval: interval, on: db)
        let labelFormat = DateFormatter()
        labelFormat.locale = Locale(identifier: "fr_FR")
        labelFormat.timeZone = FrenchFormat.parisTimeZone
        labelFormat.dateFormat = interval == .hour ? "HH'h'" : "d MMM"
        let seriesSVG = SVGCharts.bars(
            points.map { .init(labelFormat.string(from: $0.start), [$0.counts.leads, $0.counts.delivered]) },
            series: ["Leads", "Livrés"], id: "series",
            title: interval == .hour ? "Leads et livraisons par heure" : "Leads et livraisons par jour")

        // Names of what the tables list (the organization's objects the caller may see).
        let pages = try await scope.query(LandingPage.self, on: db).all()
        let forms = try await scope.query(Form.self, on: db).all()
        let accounts = try await scope.query(Account.self, on: db).all()
        let crms = try await scope.query(Crm.self, on: db).all()
        let sources = try await scope.query(DiffusionSource.self, on: db).all()
        /// The models by id as the aggregate tables store it (text).
        func byId<M: Model>(_ models: [M]) -> [String: M] where M.IDValue == UUID {
            Dictionary(models.compactMap { model in model.id.map { ($0.uuidString, model) } }) { a, _ in a }
        }
        let pageById = byId(pages)
        let formById = byId(forms)
        let accountById = byId(accounts)
        let crmById = byId(crms)
        let sourceById = byId(sources)

        func row(_ name: String, _ href: String?, _ c: FunnelCounts) -> Row {
            Row(
                name: name, href: href, visits: FrenchFormat.integer(c.visits),
                ctaClicks: FrenchFormat.integer(c.ctaClicks),
                formStarts: FrenchFormat.integer(c.formStarts), leads: FrenchFormat.integer(c.leads),
                delivered: FrenchFormat.integer(c.delivered),
                conversion: percent(c.leads, c.visits > 0 ? c.visits : c.formStarts),
                delivery: percent(c.delivered, c.leads))
        }
        /// One table per dimension: a row per known key, named and linked by `describe`.
        func table(
            _ id: String, _ title: String, _ breakdown: [(key: String, counts: FunnelCounts)],
            _ describe: (String) -> (name: String, href: String?)
        ) -> Table {
            Table(
                id: id, title: title,
                rows: breakdown.filter { !$0.key.isEmpty }.map { key, c in
                    let (name, href) = describe(key)
                    return row(name, href, c)
                })
        }
        func breakdown(_ dimension: String) async throws -> [(key: String, counts: FunnelCounts)] {
            try await StatsService.breakdown(scope, filter, range: range, by: dimension, on: db)
        }
        let byPage = try await breakdown("lp_id")
        let byForm = try await breakdown("form_id")
        var tables: [Table] = [
            table("by-lp", "Par landing page", byPage) { key in
                let page = pageById[key]
                return (
                    page.map { "\($0.code) · \($0.name)" } ?? "LP supprimée", page?.id.map { "/landing-pages/\($0)" }
                )
            },
            table("by-form", "Par formulaire", byForm) { key in
                let form = formById[key]
                return (
                    form.map { "\($0.code) · \($0.name)" } ?? "Formulaire supprimé", form?.id.map { "/forms/\($0)" }
                )
            },
            table("by-account", "Par compte", try await breakdown("account_id")) { key in
                (accountById[key]?.name ?? "Compte supprimé", accountById[key]?.id.map { "/accounts/\($0)" })
            },
        ]
        if crmFilter == nil {
            tables.append(
                table("by-crm", "CRM contre CRM", try await breakdown("crm_id")) { key in
                    (crmById[key]?.name ?? "CRM supprimé", crmById[key]?.id.map { "/crms/\($0)" })
                })
        }
        let bySource = try await breakdown("source_id")
        tables.append(
            Table(
                id: "by-source", title: "Par source de diffusion",
                rows: bySource.map { key, c in
                    key.isEmpty ? row("Sans source", nil, c) : row(sourceById[key]?.name ?? "Source supprimée", nil, c)
                }))
        var byCategory: [String: FunnelCounts] = [:]
        for (key, c) in bySource {
            let label =
                key.isEmpty
                ? "Sans source"
                : (sourceById[key].map { DiffusionCategory(rawValue: $0.categoryRaw)?.label ?? $0.categoryRaw }
                    ?? "Autre")
            byCategory[label, default: FunnelCounts()] = byCategory[label, default: FunnelCounts()] + c
        }
        tables.append(
            Table(
                id: "by-category", title: "Par catégorie de diffusion",
                rows: byCategory.sorted { $0.value.leads > $1.value.leads }.map { row($0.key, nil, $0.value) }))

        func rank(_ title: String, note: String, _ items: [(String, String?, Int, Int)], volume: String) -> Ranking {
            // items: name, link, converted, base — ranked on converted/base.
            let sorted = items.sorted {
                Double($0.2) / Double($0.3) != Double($1.2) / Double($1.3)
                    ? Double($0.2) / Double($0.3) > Double($1.2) / Double($1.3) : $0.3 > $1.3
            }
            let best = Array(sorted.prefix(3))
            let worst = Array(sorted.reversed().prefix(3)).filter { w in
                !best.contains { $0.0 == w.0 } || sorted.count > 3
            }
            func ranked(_ item: (String, String?, Int, Int)) -> Ranked {
                Ranked(
                    name: item.0, href: item.1, rate: percent(item.2, item.3),
                    volume: FrenchFormat.integer(item.3) + " " + volume)
            }
            return Ranking(
                title: title, note: note, best: best.map(ranked), worst: sorted.count >= 2 ? worst.map(ranked) : [])
        }
        let rankedPages = byPage.compactMap { key, c -> (String, String?, Int, Int)? in
            guard let page = pageById[key], c.visits >= minVisits else { return nil }
            return ("\(page.code) · \(page.name)", page.id.map { "/landing-pages/\($0)" }, c.leads, c.visits)
        }
        let rankedForms = byForm.compactMap { key, c -> (String, String?, Int, Int)? in
            guard let form = formById[key], c.formStarts >= minStarts else { return nil }
            return ("\(form.code) · \(form.name)", form.id.map { "/forms/\($0)" }, c.leads, c.formStarts)
        }
        let rankings = [
            rank("Landing pages", note: "visite → lead, \(minVisits) visites au moins", rankedPages, volume: "visites"),
            rank(
                "Formulaires", note: "formulaire commencé → lead, \(minStarts) démarrages au moins", rankedForms,
                volume: "démarrages"),
        ]

        let byDepartement = try await StatsService.departements(
            scope, accountId: nil, crmId: crmFilter, range: range, on: db)
        let totalLeads = max(1, byDepartement.reduce(0) { $0 + $1.leads })
        let departements = byDepartement.sorted { $0.leads > $1.leads }.prefix(20).map {
            DepartementRow(
                code: $0.departement.isEmpty
                    ? "Inconnu" : "\($0.departement) \(Departement.names[$0.departement] ?? "")",
                leads: FrenchFormat.integer($0.leads),
                delivered: FrenchFormat.integer($0.delivered), share: percent($0.leads, totalLeads))
        }

        var perDepartement: [String: Int] = [:]
        for row in byDepartement where !row.departement.isEmpty {
            perDepartement[row.departement, default: 0] += row.leads
        }
        let mapSVG = FranceMap.svg(perDepartement, unit: "leads", id: "map-leads", title: "Leads par département")

        let dayFormat = DateFormatter()
        dayFormat.locale = Locale(identifier: "fr_FR")
        dayFormat.timeZone = FrenchFormat.parisTimeZone
        dayFormat.dateFormat = "d MMMM yyyy"
        let lastDay = range.end.addingTimeInterval(-1)
        let label =
            days == 1
            ? "le \(dayFormat.string(from: range.start))"
            : "du \(dayFormat.string(from: range.start)) au \(dayFormat.string(from: lastDay))"
        return DashboardStats(
            choices: AnalyticsPeriod.choices.map {
                Choice(key: $0.key, label: $0.label, selected: $0.key == period.key)
            },
            period: period.key, from: ParisDay.text(range.start), to: ParisDay.text(lastDay),
            custom: period.key == "custom", label: label, error: error, kpis: kpis, rates: rates, funnelSVG: funnelSVG,
            seriesSVG: seriesSVG, tables: tables, rankings: rankings, departements: Array(departements),
            mapSVG: mapSVG, empty: counts == FunnelCounts() && before == FunnelCounts(),
            quality: try await QualityStats.tables(scope: scope, crmId: crmFilter, range: range, on: db))
    }
}
