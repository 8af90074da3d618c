import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// `leadhub bench-dashboard seed|measure` — the dashboard benchmark (`bench/dashboard`), a
/// developer tool. `seed` fills the configured database with an organization of 10 accounts,
/// 50 landing pages and 50 forms and its traffic over the last `--days` days: raw events and their
/// aggregates written by the ingestion's own code, leads stored by the lead writer's own code
/// (routing, duplicates, deliveries, aggregates), 90 % of them then counted delivered the way the
/// delivery settlement counts them. `measure` times every query the dashboard runs, as it runs
/// them, and prints p50/p95/max per query.
struct BenchDashboardCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "seed or measure")
        var action: String
        @Option(name: "events", help: "events to generate (seed; default 10,000,000)")
        var events: Int?
        @Option(name: "leads", help: "leads to generate (seed; default 1,000,000)")
        var leads: Int?
        @Option(name: "days", help: "days of history (seed; default 90)")
        var days: Int?
        @Option(name: "runs", help: "runs of each query (measure; default 50)")
        var runs: Int?
    }

    var help: String { "Dashboard benchmark: seed a large organization, or measure the dashboard's queries." }

    static let organizationName = "Bench Tableau de bord"

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        switch signature.action {
        case "seed":
            try await BenchDashboard.seed(
                app: app, events: signature.events ?? 10_000_000, leads: signature.leads ?? 1_000_000,
                days: signature.days ?? 90
            ) { context.console.print($0) }
        case "measure":
            try await BenchDashboard.measure(app: app, runs: signature.runs ?? 50) { context.console.print($0) }
        default:
            throw AppError.badRequest("Action inconnue : seed ou measure.")
        }
    }
}

enum BenchDashboard {
    struct Site {
        let lp: UUID
        let form: UUID
        let formCode: String
        let lpCode: String
        let account: UUID
        let crm: UUID
        let source: UUID
        let product: String
        /// Share of the organization's traffic.
        let weight: Double
    }

    // MARK: Seed

    static func seed(app: Application, events: Int, leads: Int, days: Int, say: @escaping (String) -> Void) async throws
    {
        let db = app.db
        if try await Organization.query(on: db).filter(\.$name == BenchDashboardCommand.organizationName).first() != nil
        {
            throw AppError.conflict(
                field: nil,
                message:
                    "L'organisation « \(BenchDashboardCommand.organizationName) » existe déjà : partez d'une base vide."
            )
        }
        let started = Date()
        let org = try await OrganizationService.create(name: BenchDashboardCommand.organizationName, on: db)
        let orgId = try org.requireID()
        var crms: [Crm] = []
        for name in ["Bench CRM Nord", "Bench CRM Sud"] {
            let crm = Crm()
            crm.organizationId = orgId
            crm.name = name
            crm.slug = Slug.make(name)
            crm.apiURL = "https://\(Slug.make(name)).invalid/lead/api/create_lead/"
            try await crm.create(on: db)
            crms.append(crm)
        }
        var accounts: [Account] = []
        for index in 0..<10 {
            let account = Account()
            account.organizationId = orgId
            account.crmId = try crms[index % 2].requireID()
            account.name = String(format: "Bench compte %02d", index + 1)
            account.productTypes = ["PV", "PAC", "ITE"]
            account.images = []
            account.redirectURLs = []
            try await account.create(on: db)
            accounts.append(account)
        }
        var sources: [DiffusionSource] = []
        let sourcePlan: [(String, DiffusionCategory)] = [
            ("Taboola", .native), ("Outbrain", .native), ("Google Ads", .google), ("Facebook Ads", .facebook),
            ("TikTok Ads", .tiktok), ("E-mailing", .other),
        ]
        for (name, category) in sourcePlan {
            let source = DiffusionSource()
            source.organizationId = orgId
            source.name = name
            source.category = category
            source.active = true
            try await source.create(on: db)
            sources.append(source)
        }
        var sites: [Site] = []
        let products = ["PV", "PAC", "ITE"]
        for index in 0..<50 {
            let account = accounts[index % 10]
            let product = products[index % 3]
            let form = Form()
            form.organizationId = orgId
            form.accountId = try account.requireID()
            form.code = String(format: "%@-%03d", product, index / 3 + 1)
            form.name = "Bench formulaire \(index + 1)"
            form.url = "https://bench\(index % 10).example/formulaire-\(index + 1)"
            form.productType = product
            form.trackingType = .gtm
            form.excludeFromRouting = false
            form.metropolitanOnly = false
            form.allowedOrigins = []
            form.status = .active
            form.formKey = FormService.newFormKey()
            try await form.create(on: db)
            let page = LandingPage()
            page.organizationId = orgId
            page.accountId = try account.requireID()
            page.code = String(format: "LP-%03d", index + 1)
            page.name = "Bench landing page \(index + 1)"
            page.url = "https://bench\(index % 10).example/lp-\(index + 1)"
            page.diffusionSourceId = sources[index % sources.count].id
            page.kind = .redirect
            page.formId = form.id
            page.status = .active
            try await page.create(on: db)
            sites.append(
                Site(
                    lp: try page.requireID(), form: try form.requireID(), formCode: form.code, lpCode: page.code,
                    account: try account.requireID(), crm: account.crmId,
                    source: try sources[index % sources.count].requireID(),
                    product: product, weight: 1 / Double(index + 4)))
        }
        let totalWeight = sites.reduce(0) { $0 + $1.weight }
        say("Organisation, 10 comptes, 50 landing pages et 50 formulaires créés.")

        var random = DemoTraffic.Random(state: 0xBE_4C_DA_5B)
        /// A site drawn in proportion to its share of the traffic.
        func pickSite() -> Site {
            var pick = Double.random(in: 0..<totalWeight, using: &random)
            for site in sites {
                pick -= site.weight
                if pick < 0 { return site }
            }
            return sites[sites.count - 1]
        }
        let hourWeights: [Double] = [
            1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.5, 6, 6.5, 6, 5.5, 5.5, 6, 6.5, 7.5, 8.5, 8.5, 7, 4.5, 2.5,
        ]
        let hourSum = hourWeights.reduce(0, +)
        let departements = Departement.all.filter { $0 != "975" }
        let now = Date()
        let firstHour = StatsHour.bucket(now) - days * 24 + 1
        let hours = days * 24
        let routing = try await app.intakeCache.routingConfig(organizationId: orgId, now: now, on: db)
        let sql = db as! any SQLDatabase

        // The share of the traffic each hour gets: daily rhythm, quieter weekends.
        var hourShare: [Double] = []
        for offset in 0..<hours {
            let start = StatsHour.start(firstHour + offset)
            let parts = ParisDay.calendar.dateComponents([.hour, .weekday], from: start)
            hourShare.append(
                hourWeights[parts.hour!] / hourSum * ((parts.weekday == 1 || parts.weekday == 7) ? 0.65 : 1))
        }
        let shareSum = hourShare.reduce(0, +)

        // Events: 60 % visits, 25 % CTA clicks, 15 % form starts.
        var written = 0
        var batch: [EventIngest.Item] = []
        batch.reserveCapacity(20_000)
        func flushEvents() async throws {
            guard !batch.isEmpty else { return }
            let items = batch
            if app.leadWriter.usesGroupCommit {
                try await app.leadWriter.perform { database in try EventIngest.write(items, on: database) }
            } else {
                try await EventIngest.write(items, on: db)
            }
            written += items.count
            batch.removeAll(keepingCapacity: true)
        }
        var carry = 0.0
        let eventsStarted = Date()
        for offset in 0..<hours {
            let hour = firstHour + offset
            let start = StatsHour.start(hour)
            carry += Double(events) * hourShare[offset] / shareSum
            let count = Int(carry)
            carry -= Double(count)
            for _ in 0..<count {
                let site = pickSite()
                let roll = Double.random(in: 0..<1, using: &random)
                let type: TrackingEventType = roll < 0.6 ? .lpVisit : roll < 0.85 ? .ctaClick : .formStart
                let at = min(now, start.addingTimeInterval(Double.random(in: 0..<3_600, using: &random)))
                let session = String(format: "%016llx", random.next())
                batch.append(
                    EventIngest.Item(
                        organizationId: orgId,
                        event: TrackingEvent(
                            type: type, lpCode: site.lpCode, formCode: site.formCode, visitorId: session,
                            sessionId: session,
                            url: "https://bench.example/\(site.lpCode.lowercased())",
                            attribution: ["utm_source": "bench"]),
                        lpId: site.lp, formId: site.form,
                        stats: StatsIncrements.HourKey(
                            organizationId: orgId, hour: StatsHour.bucket(at), lp: site.lp.uuidString,
                            form: site.form.uuidString,
                            account: site.account.uuidString, crm: site.crm.uuidString, source: site.source.uuidString,
                            product: site.product),
                        receivedAt: at))
                if batch.count >= 20_000 {
                    try await flushEvents()
                    if written % 1_000_000 < 20_000 {
                        say(
                            "  \(written) événements (\(Int(Double(written) / Date().timeIntervalSince(eventsStarted)))/s)"
                        )
                    }
                }
            }
        }
        try await flushEvents()
        say("\(written) événements écrits en \(Int(Date().timeIntervalSince(eventsStarted))) s.")

        // Leads, stored by the lead writer's batch code in transactions of 1,000.
        carry = 0
        var stored = 0
        var drafts: [LeadDraft] = []
        var delivered = StatsIncrements()
        var recentPhones: [String] = []
        let leadsStarted = Date()
        func flushLeads() async throws {
            guard !drafts.isEmpty else { return }
            let chunk = drafts
            let outcomes = try await db.transaction { tx in
                try await LeadWriter.store(chunk, on: tx as! any SQLDatabase)
            }
            for (draft, outcome) in zip(chunk, outcomes) {
                guard case .stored(let lead) = outcome else { continue }
                stored += 1
                // 90 % of the new leads end delivered (the settlement's count); duplicates are not sent.
                if lead.status != .duplicate && stored % 10 != 0 {
                    delivered.addDelivered(
                        LeadStatsRef(
                            hourKey: StatsIncrements.HourKey(
                                organizationId: orgId, hour: StatsHour.bucket(draft.receivedAt),
                                lp: StatsIncrements.text(draft.landingPageId), form: draft.formId.uuidString,
                                account: draft.accountId.uuidString, crm: draft.crmId.uuidString,
                                source: StatsIncrements.text(draft.diffusionSourceId), product: draft.productType),
                            dayKey: StatsIncrements.DayKey(
                                organizationId: orgId, day: ParisDay.number(draft.receivedAt),
                                departement: draft.lead.departement ?? "", account: draft.accountId.uuidString,
                                crm: draft.crmId.uuidString, product: draft.productType)))
                }
            }
            drafts.removeAll(keepingCapacity: true)
        }
        for offset in 0..<hours {
            let start = StatsHour.start(firstHour + offset)
            carry += Double(leads) * hourShare[offset] / shareSum
            let count = Int(carry)
            carry -= Double(count)
            for _ in 0..<count {
                let site = pickSite()
                let at = min(now, start.addingTimeInterval(Double.random(in: 0..<3_600, using: &random)))
                let departement = departements.randomElement(using: &random)!
                let postal: String =
                    departement.count == 3
                    ? departement + "00"
                    : departement == "2A" ? "20000" : departement == "2B" ? "20200" : departement + "000"
                var phone =
                    "0" + ["6", "7"].randomElement(using: &random)!
                    + String(format: "%08d", Int.random(in: 0..<100_000_000, using: &random))
                if !recentPhones.isEmpty, Double.random(in: 0..<1, using: &random) < 0.03 {
                    phone = recentPhones.randomElement(using: &random)!
                }
                recentPhones.append(phone)
                if recentPhones.count > 200 { recentPhones.removeFirst(100) }
                let session = String(format: "%016llx", random.next())
                let body: [String: JSONValue] = [
                    "phone": .string(phone), "nom": .string("Bench"), "code_postal": .string(postal),
                    "statut_occupant": .string("proprietaire"), "type_logement": .string("maison"),
                    "session_id": .string(session), "utm_source": .string("bench"), "lp_code": .string(site.lpCode),
                ]
                guard case .success(let lead) = LeadSubmission.validate(body) else { continue }
                drafts.append(
                    LeadDraft(
                        id: TimeOrderedID.make(at: at), organizationId: orgId, formId: site.form,
                        accountId: site.account,
                        crmId: site.crm, landingPageId: site.lp, diffusionSourceId: site.source,
                        productType: site.product,
                        formCode: site.formCode, lead: lead, ip: nil, userAgent: "bench", apiKeyId: nil,
                        submissionHash: String(format: "%016llx%016llx", random.next(), random.next()),
                        idempotencyKey: nil,
                        receivedAt: at, duplicateWindowHours: nil, excludeFromRouting: false, routing: routing))
                if drafts.count >= 1_000 {
                    try await flushLeads()
                    if stored % 100_000 < 1_000 {
                        say("  \(stored) leads (\(Int(Double(stored) / Date().timeIntervalSince(leadsStarted)))/s)")
                    }
                }
            }
        }
        try await flushLeads()
        say("\(stored) leads enregistrés en \(Int(Date().timeIntervalSince(leadsStarted))) s.")

        // Deliveries: settled, and counted as the settlement counts them.
        let settled = delivered
        try await db.transaction { tx in
            let sql = tx as! any SQLDatabase
            try await sql.raw(
                "UPDATE \"deliveries\" SET \"status\" = 'delivered', \"delivered_at\" = \"created_at\" WHERE \"organization_id\" = \(bind: orgId) AND \"status\" = 'pending'"
            ).run()
            try await settled.write(on: sql)
        }
        for table in ["tracking_events", "leads", "stats_hourly", "stats_daily_departements"] {
            let row = try await sql.raw(
                "SELECT COUNT(*) AS \"n\" FROM \"\(unsafeRaw: table)\" WHERE \"organization_id\" = \(bind: orgId)"
            ).first()
            say("\(table) : \(try row?.decode(column: "n", as: Int.self) ?? 0) lignes")
        }
        try await sql.raw("ANALYZE").run()  // fresh statistics for the planner, as a live database has
        say("Terminé en \(Int(Date().timeIntervalSince(started))) s.")
    }

    // MARK: Measure

    static func measure(app: Application, runs: Int, say: @escaping (String) -> Void) async throws {
        let db = app.db
        guard
            let org = try await Organization.query(on: db).filter(\.$name == BenchDashboardCommand.organizationName)
                .first()
        else {
            throw AppError.badRequest("Pas d'organisation de benchmark : lancez d'abord « bench-dashboard seed ».")
        }
        let orgId = try org.requireID()
        let scope = TenantScope(
            organizationId: orgId, userId: UUID(), userEmail: "bench@leadhub.test", role: .admin, visibleCrmIds: nil,
            visibleAccountIds: nil, ip: nil, restrictionCrmIds: [])
        let accounts = try await Account.query(on: db).filter(\.$organizationId == orgId).sort(\.$name).all()
        let restricted = TenantScope(
            organizationId: orgId, userId: UUID(), userEmail: "bench@leadhub.test", role: .viewer,
            visibleCrmIds: nil, visibleAccountIds: Set(accounts.prefix(2).compactMap(\.id)), ip: nil,
            restrictionCrmIds: [])
        guard let page = try await LandingPage.query(on: db).filter(\.$organizationId == orgId).sort(\.$code).first()
        else { return }
        let forms = try await Form.query(on: db).filter(\.$organizationId == orgId).sort(\.$code).limit(24).all()
        let now = Date()
        let month = AnalyticsPeriod.named(
            "custom", from: ParisDay.text(now.addingTimeInterval(-29 * 86_400)), to: ParisDay.text(now))!
        let range = month.range(now: now)
        let previous = month.previousRange(now: now)
        let twoDays = AnalyticsPeriod.named(
            "custom", from: ParisDay.text(now.addingTimeInterval(-86_400)), to: ParisDay.text(now))!.range(now: now)
        let quarter = AnalyticsPeriod.named(
            "custom", from: ParisDay.text(now.addingTimeInterval(-89 * 86_400)), to: ParisDay.text(now))!.range(
                now: now)
        let all = StatsService.Filter()

        let queries: [(String, () async throws -> Void)] = [
            ("funnel, 30 jours", { _ = try await StatsService.funnel(scope, all, range: range, on: db) }),
            ("funnel, 30 jours précédents", { _ = try await StatsService.funnel(scope, all, range: previous, on: db) }),
            ("funnel, 90 jours", { _ = try await StatsService.funnel(scope, all, range: quarter, on: db) }),
            (
                "funnel, 30 jours, une LP",
                { _ = try await StatsService.funnel(scope, .init(lpId: page.id), range: range, on: db) }
            ),
            (
                "funnel, 30 jours, utilisateur limité à 2 comptes",
                { _ = try await StatsService.funnel(restricted, all, range: range, on: db) }
            ),
            (
                "série, 30 jours par jour",
                { _ = try await StatsService.timeseries(scope, all, range: range, interval: .day, on: db) }
            ),
            (
                "série, 2 jours par heure",
                { _ = try await StatsService.timeseries(scope, all, range: twoDays, interval: .hour, on: db) }
            ),
            (
                "tableau par LP, 30 jours",
                { _ = try await StatsService.breakdown(scope, all, range: range, by: "lp_id", on: db) }
            ),
            (
                "tableau par formulaire, 30 jours",
                { _ = try await StatsService.breakdown(scope, all, range: range, by: "form_id", on: db) }
            ),
            (
                "tableau par compte, 30 jours",
                { _ = try await StatsService.breakdown(scope, all, range: range, by: "account_id", on: db) }
            ),
            (
                "tableau par CRM, 30 jours",
                { _ = try await StatsService.breakdown(scope, all, range: range, by: "crm_id", on: db) }
            ),
            (
                "tableau par source, 30 jours",
                { _ = try await StatsService.breakdown(scope, all, range: range, by: "source_id", on: db) }
            ),
            (
                "tableau par produit, 30 jours",
                { _ = try await StatsService.breakdown(scope, all, range: range, by: "product_type", on: db) }
            ),
            (
                "départements (carte), 30 jours",
                { _ = try await StatsService.departements(scope, accountId: nil, crmId: nil, range: range, on: db) }
            ),
            (
                "cartes de 24 formulaires, 30 jours",
                {
                    _ = try await CardSupport.stats(
                        dimension: "form_id", pages: forms.map { ($0.id!, $0.statsSince) }, range: range, scope: scope,
                        on: db)
                }
            ),
        ]
        // One warm-up pass: the first read of a table pays for the disk, not the query.
        for (_, query) in queries { try await query() }
        say("| Requête | p50 (ms) | p95 (ms) | max (ms) |")
        say("| --- | ---: | ---: | ---: |")
        var pageTotals = Array(repeating: 0.0, count: runs)
        for (name, query) in queries {
            var times: [Double] = []
            for run in 0..<runs {
                let start = DispatchTime.now().uptimeNanoseconds
                try await query()
                let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
                times.append(ms)
                pageTotals[run] += ms
            }
            say(
                "| \(name) | \(format(percentile(times, 0.5))) | \(format(percentile(times, 0.95))) | \(format(times.max() ?? 0)) |"
            )
        }
        say(
            "| toutes les requêtes ci-dessus à la suite | \(format(percentile(pageTotals, 0.5))) | \(format(percentile(pageTotals, 0.95))) | \(format(pageTotals.max() ?? 0)) |"
        )
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
