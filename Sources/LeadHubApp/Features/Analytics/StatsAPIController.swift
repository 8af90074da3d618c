import Fluent
import Foundation
import LeadHubCore
import Vapor

/// `GET /api/admin/stats/funnel` and `/api/admin/stats/timeseries`: the dashboard's figures as
/// JSON, for a period (`from`/`to` Paris days, or `period=today|yesterday|7d|week|month|last_month`)
/// and optional `lp_code`, `form_code`, `account_id`, `crm_id`, `source` (diffusion source id).
struct StatsAPIController {
    struct Query: Content {
        var from: String?
        var to: String?
        var period: String?
        var lp_code: String?
        var form_code: String?
        var account_id: String?
        var crm_id: String?
        var source: String?
        var interval: String?
    }

    /// The period and filter of a request, checked against the caller's organization: unknown
    /// codes are field errors, ids of another organization (or not visible) are 404.
    static func resolve(_ req: Request, _ scope: TenantScope) async throws -> (
        AnalyticsPeriod, StatsService.Filter, Query
    ) {
        let query = try req.query.decode(Query.self)
        var errors = FieldErrors()
        var period: AnalyticsPeriod = .last7Days
        if query.from != nil || query.to != nil {
            if let from = query.from, ParisDay.start(of: from) == nil {
                errors.add("from", "Date invalide : AAAA-MM-JJ attendu.")
            }
            if let to = query.to, ParisDay.start(of: to) == nil {
                errors.add("to", "Date invalide : AAAA-MM-JJ attendu.")
            }
            if query.from == nil { errors.add("from", "Date de début obligatoire avec « to ».") }
            if query.to == nil { errors.add("to", "Date de fin obligatoire avec « from ».") }
            if errors.isEmpty {
                if let custom = AnalyticsPeriod.named("custom", from: query.from, to: query.to) {
                    let range = custom.range(now: req.now)
                    if ParisDay.count(from: range.start, to: range.end) > 400 {
                        errors.add("to", "Période de 400 jours au plus.")
                    }
                    period = custom
                } else {
                    errors.add("to", "La date de fin doit suivre la date de début.")
                }
            }
        } else if let key = query.period {
            if let named = AnalyticsPeriod.named(key), key != "custom" {
                period = named
            } else {
                errors.add("period", "Période inconnue (today, yesterday, 7d, week, month, last_month, ou from/to).")
            }
        }
        var filter = StatsService.Filter()
        if let code = query.lp_code?.uppercased(), !code.isEmpty {
            filter.lpId = try await scope.query(LandingPage.self, on: req.db).filter(\.$code == code).first()?.id
            if filter.lpId == nil { errors.add("lp_code", "Landing page inconnue : \(code.prefix(32)).") }
        }
        if let code = query.form_code?.uppercased(), !code.isEmpty {
            filter.formId = try await scope.query(Form.self, on: req.db).filter(\.$code == code).first()?.id
            if filter.formId == nil { errors.add("form_code", "Formulaire inconnu : \(code.prefix(32)).") }
        }
        func id(_ text: String?, field: String) -> UUID? {
            guard let text, !text.isEmpty else { return nil }
            guard let id = UUID(uuidString: text) else {
                errors.add(field, "Identifiant invalide.")
                return nil
            }
            return id
        }
        let accountId = id(query.account_id, field: "account_id")
        let crmId = id(query.crm_id, field: "crm_id")
        let sourceId = id(query.source, field: "source")
        try errors.throwIfAny()
        if let accountId { filter.accountId = try await scope.find(Account.self, accountId, on: req.db).id }
        if let crmId {
            guard scope.canSee(crm: crmId) else { throw AppError.notFound }
            filter.crmId = try await scope.find(Crm.self, crmId, on: req.db).id
        }
        if let sourceId { filter.sourceId = try await scope.find(DiffusionSource.self, sourceId, on: req.db).id }
        return (period, filter, query)
    }

    struct Funnel: Content {
        let from: String
        let to: String
        let visits: Int
        let ctaClicks: Int
        let formStarts: Int
        let leads: Int
        let delivered: Int
        let duplicates: Int
        let rates: [String: Double?]
        let previous: FunnelCounts
        let changes: [String: Double?]

        enum CodingKeys: String, CodingKey {
            case from, to, visits, ctaClicks = "cta_clicks", formStarts = "form_starts", leads, delivered, duplicates,
                rates,
                previous, changes
        }
    }

    static func lastDay(_ range: DateInterval) -> String {
        ParisDay.text(range.end.addingTimeInterval(-1))
    }

    struct Quality: Content {
        let from: String
        let to: String
        let tables: [QualityStats.Table]
    }

    /// `GET /api/admin/stats/quality`: quality and return rates by source, LP, form and buying CRM.
    @Sendable func quality(req: Request) async throws -> Quality {
        let scope = try req.tenantScope()
        let (period, filter, _) = try await Self.resolve(req, scope)
        let range = period.range(now: req.now)
        return Quality(
            from: ParisDay.text(range.start), to: Self.lastDay(range),
            tables: try await QualityStats.tables(scope: scope, crmId: filter.crmId, range: range, on: req.db))
    }

    @Sendable func funnel(req: Request) async throws -> Funnel {
        let scope = try req.tenantScope()
        let (period, filter, _) = try await Self.resolve(req, scope)
        let range = period.range(now: req.now)
        let previousRange = period.previousRange(now: req.now)
        let counts = try await StatsService.funnel(scope, filter, range: range, on: req.db)
        let previous = try await StatsService.funnel(scope, filter, range: previousRange, on: req.db)
        return Funnel(
            from: ParisDay.text(range.start), to: Self.lastDay(range), visits: counts.visits,
            ctaClicks: counts.ctaClicks,
            formStarts: counts.formStarts, leads: counts.leads, delivered: counts.delivered,
            duplicates: counts.duplicates,
            rates: counts.rates, previous: previous,
            changes: [
                "visits": FunnelCounts.change(counts.visits, from: previous.visits),
                "cta_clicks": FunnelCounts.change(counts.ctaClicks, from: previous.ctaClicks),
                "form_starts": FunnelCounts.change(counts.formStarts, from: previous.formStarts),
                "leads": FunnelCounts.change(counts.leads, from: previous.leads),
                "delivered": FunnelCounts.change(counts.delivered, from: previous.delivered),
                "duplicates": FunnelCounts.change(counts.duplicates, from: previous.duplicates),
            ])
    }

    struct Series: Content {
        struct Point: Content {
            let start: Date
            let visits: Int
            let ctaClicks: Int
            let formStarts: Int
            let leads: Int
            let delivered: Int
            let duplicates: Int

            enum CodingKeys: String, CodingKey {
                case start, visits, ctaClicks = "cta_clicks", formStarts = "form_starts", leads, delivered, duplicates
            }
        }

        let from: String
        let to: String
        let interval: String
        let points: [Point]
    }

    @Sendable func timeseries(req: Request) async throws -> Series {
        let scope = try req.tenantScope()
        let (period, filter, query) = try await Self.resolve(req, scope)
        let range = period.range(now: req.now)
        let interval: StatsService.Interval
        switch query.interval {
        case nil: interval = ParisDay.count(from: range.start, to: range.end) <= 2 ? .hour : .day
        case let raw?:
            guard let parsed = StatsService.Interval(rawValue: raw) else {
                throw FieldErrors(["interval": ["Intervalle inconnu : hour ou day."]])
            }
            interval = parsed
        }
        if interval == .hour, ParisDay.count(from: range.start, to: range.end) > 31 {
            throw FieldErrors([
                "interval": ["Par heure : 31 jours au plus. Choisissez day pour une période plus longue."]
            ])
        }
        let points = try await StatsService.timeseries(scope, filter, range: range, interval: interval, on: req.db)
        return Series(
            from: ParisDay.text(range.start), to: Self.lastDay(range), interval: interval.rawValue,
            points: points.map {
                .init(
                    start: $0.start, visits: $0.counts.visits, ctaClicks: $0.counts.ctaClicks,
                    formStarts: $0.counts.formStarts,
                    leads: $0.counts.leads, delivered: $0.counts.delivered, duplicates: $0.counts.duplicates)
            })
    }
}
