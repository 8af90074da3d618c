import Fluent
import SQLKit
import Foundation
import LeadHubCore
import Vapor

/// The demo's landing pages and forms, and days of realistic traffic through them: visits, CTA
/// clicks, form starts (written like the tracker's events) and leads (stored by the lead writer,
/// so routed, priced and queued for delivery like real ones — the simulated partners then deliver
/// them). Daytime peaks, quieter weekends, pages that convert better than others, a few
/// duplicates. Deterministic for a given start (seeded), so two demos look alike.
enum DemoTraffic {
    struct Site {
        let page: LandingPage
        let form: Form
        let crmId: UUID
        let source: DiffusionSource?
        /// Visits on an average weekday.
        let visits: Double
        /// Visit → CTA, CTA → form start, form start → lead.
        let rates: (Double, Double, Double)
        let departements: [String]
    }

    /// A small deterministic generator (SplitMix64).
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let postalCodes: [String: [String]] = [
        "75": ["75008", "75011", "75015", "75020"], "92": ["92100", "92130"], "93": ["93100", "93200"],
        "94": ["94000", "94300"], "91": ["91000"], "78": ["78000"], "95": ["95000"], "77": ["77100"],
        "13": ["13001", "13100"], "06": ["06000", "06400"], "83": ["83000"], "34": ["34000"], "31": ["31000"],
        "30": ["30000"], "69": ["69003", "69100"], "38": ["38000"], "42": ["42000"], "63": ["63000"],
        "33": ["33000", "33700"], "17": ["17000"], "64": ["64000"], "87": ["87000"], "35": ["35000"], "29": ["29200"],
        "56": ["56100"], "22": ["22000"], "44": ["44000", "44300"], "49": ["49000"], "85": ["85000"], "72": ["72000"],
        "14": ["14000"], "76": ["76000"], "50": ["50100"], "59": ["59000", "59300"], "62": ["62000"], "80": ["80000"],
        "67": ["67000"], "21": ["21000"], "45": ["45000"], "37": ["37000"],
    ]

    /// Creates 10 LPs and their forms across the demo's accounts and sources.
    static func createPages(orgId: UUID, on db: any Database) async throws -> [Site] {
        let accounts = try await Account.query(on: db).filter(\.$organizationId == orgId).sort(\.$name).all()
        let sources = try await DiffusionSource.query(on: db).filter(\.$organizationId == orgId).sort(\.$name).all()
        let plan:
            [(
                account: String, product: String, source: String, visits: Double, rates: (Double, Double, Double),
                deps: [String]
            )] = [
                (
                    "Solaire Éco France", "PV", "Taboola", 260, (0.32, 0.62, 0.48),
                    ["75", "92", "93", "94", "13", "06", "83", "34", "33", "44"]
                ),
                (
                    "Solaire Éco France", "PV", "Google Ads", 140, (0.41, 0.70, 0.55),
                    ["75", "92", "91", "78", "69", "31", "13"]
                ),
                (
                    "Solaire Éco France", "PAC", "Facebook Ads", 120, (0.27, 0.58, 0.42),
                    ["75", "94", "69", "38", "42", "63"]
                ),
                ("Solaire Éco Sud", "PV", "Outbrain", 180, (0.22, 0.55, 0.37), ["13", "06", "83", "34", "30", "31"]),
                (
                    "Prime Énergie Habitat", "PAC", "Google Ads", 110, (0.36, 0.66, 0.51),
                    ["75", "92", "69", "38", "59", "67"]
                ),
                (
                    "Prime Énergie Habitat", "ITE", "TikTok Ads", 150, (0.18, 0.47, 0.30),
                    ["59", "62", "80", "76", "14", "21"]
                ),
                (
                    "Maison Confort Rénov", "ITE", "Taboola", 200, (0.29, 0.60, 0.44),
                    ["35", "29", "56", "44", "49", "59", "62"]
                ),
                (
                    "Maison Confort Rénov", "PAC", "Facebook Ads", 130, (0.31, 0.61, 0.46),
                    ["35", "44", "85", "33", "17", "64"]
                ),
                (
                    "Confort Rénov Ouest", "ITE", "Partenariat e-mailing", 70, (0.45, 0.72, 0.58),
                    ["35", "22", "29", "56", "50"]
                ),
                (
                    "Isolation Plus", "ITE", "Outbrain", 160, (0.20, 0.52, 0.35),
                    ["59", "62", "76", "14", "72", "45", "37"]
                ),
            ]
        var sites: [Site] = []
        var counters: [String: Int] = [:]
        for (index, item) in plan.enumerated() {
            guard let account = accounts.first(where: { $0.name == item.account }) else { continue }
            let domain = account.domain ?? "exemple.fr"
            counters[item.product, default: 0] += 1
            let form = Form()
            form.organizationId = orgId
            form.accountId = try account.requireID()
            form.code = String(format: "%@-%03d", item.product, counters[item.product]!)
            form.name = "\(item.product) \(account.name) — \(item.source)"
            form.url = "https://\(domain)/formulaire-\(item.product.lowercased())-\(counters[item.product]!)"
            form.productType = item.product
            form.trackingType = .gtm
            form.thankYouURL = account.defaultRedirectURL
            form.excludeFromRouting = false
            form.metropolitanOnly = true
            form.formKey = FormService.newFormKey()
            form.allowedOrigins = ["https://\(domain)"]
            form.status = .active
            try await form.create(on: db)
            let page = LandingPage()
            page.organizationId = orgId
            page.accountId = try account.requireID()
            page.code = String(format: "LP-%03d", index + 1)
            page.name = "\(item.product) \(account.name) — \(item.source)"
            page.url = "https://\(domain)/lp-\(item.product.lowercased())-\(index + 1)"
            let source = sources.first { $0.name == item.source }
            page.diffusionSourceId = source?.id
            page.kind = index % 4 == 3 ? .integrated : .redirect
            page.formId = form.id
            page.status = .active
            try await page.create(on: db)
            sites.append(
                Site(
                    page: page, form: form, crmId: account.crmId, source: source, visits: item.visits,
                    rates: item.rates,
                    departements: item.deps))
        }
        return sites
    }

    /// Generates `days` days of traffic ending now; returns (events, leads).
    static func generate(app: Application, orgId: UUID, sites: [Site], days: Int, now: Date) async throws -> (Int, Int)
    {
        guard days > 0, !sites.isEmpty else { return (0, 0) }
        var random = Random(state: 0x4C45_4144_4855_42)
        let calendar = ParisDay.calendar
        let today = calendar.startOfDay(for: now)
        // Share of a day's visits per Paris hour: quiet nights, a noon bump, an evening peak.
        let hourWeights: [Double] = [
            1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.5, 6, 6.5, 6, 5.5, 5.5, 6, 6.5, 7.5, 8.5, 8.5, 7, 4.5, 2.5,
        ]
        let weightSum = hourWeights.reduce(0, +)
        let routing = try await app.intakeCache.routingConfig(organizationId: orgId, now: now, on: app.db)
        let organization = try await Organization.find(orgId, on: app.db)
        var events: [EventIngest.Item] = []
        var drafts: [LeadDraft] = []
        var eventCount = 0
        var phonesOfDay: [String] = []
        let firstNames = [
            "Léa", "Hugo", "Chloé", "Louis", "Emma", "Jules", "Manon", "Lucas", "Camille", "Nathan", "Inès", "Théo",
        ]
        let lastNames = [
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
            "Laurent",
        ]
        for dayOffset in stride(from: -(days - 1), through: 0, by: 1) {
            let day = calendar.date(byAdding: .day, value: dayOffset, to: today)!
            let weekday = calendar.component(.weekday, from: day)
            let weekend = weekday == 1 || weekday == 7
            // A slow rise over the month: campaigns ramp up.
            let trend = 0.8 + 0.4 * Double(dayOffset + days) / Double(days)
            phonesOfDay.removeAll()
            for site in sites {
                let text = StatsIncrements.text
                let key = { (hour: Int) in
                    StatsIncrements.HourKey(
                        organizationId: orgId, hour: hour, lp: text(site.page.id), form: text(site.form.id),
                        account: text(site.page.accountId), crm: text(site.crmId), source: text(site.source?.id),
                        product: site.form.productType)
                }
                let dayVisits =
                    site.visits * trend * (weekend ? 0.65 : 1) * Double.random(in: 0.8...1.2, using: &random)
                for hour in 0..<24 {
                    let hourStart = calendar.date(byAdding: .hour, value: hour, to: day)!
                    if hourStart > now { break }
                    let expected = dayVisits * hourWeights[hour] / weightSum
                    var visits = Int(expected)
                    if Double.random(in: 0..<1, using: &random) < expected - Double(visits) { visits += 1 }
                    for _ in 0..<visits {
                        let at = hourStart.addingTimeInterval(Double.random(in: 0..<3_300, using: &random))
                        if at > now { continue }
                        let session = String(format: "%016llx", random.next())
                        let visitor = String(format: "%016llx", random.next())
                        let utm =
                            site.source.map {
                                [
                                    "utm_source": Slug.make($0.name), "utm_medium": "cpc",
                                    "utm_campaign": site.form.code.lowercased(),
                                ]
                            } ?? [:]
                        func event(_ type: TrackingEventType, _ offset: Double) {
                            let when = min(now, at.addingTimeInterval(offset))
                            events.append(
                                EventIngest.Item(
                                    organizationId: orgId,
                                    event: TrackingEvent(
                                        type: type, lpCode: site.page.code, formCode: site.form.code,
                                        visitorId: visitor,
                                        sessionId: session, url: site.page.url, attribution: utm),
                                    lpId: site.page.id, formId: site.form.id, stats: key(StatsHour.bucket(when)),
                                    receivedAt: when))
                        }
                        event(.lpVisit, 0)
                        guard Double.random(in: 0..<1, using: &random) < site.rates.0 else { continue }
                        event(.ctaClick, Double.random(in: 5...90, using: &random))
                        guard Double.random(in: 0..<1, using: &random) < site.rates.1 else { continue }
                        event(.formStart, Double.random(in: 95...150, using: &random))
                        guard Double.random(in: 0..<1, using: &random) < site.rates.2 else { continue }
                        let received = min(now, at.addingTimeInterval(Double.random(in: 160...400, using: &random)))
                        let departement = site.departements.randomElement(using: &random)!
                        let postal = postalCodes[departement]?.randomElement(using: &random) ?? "\(departement)000"
                        var phone =
                            "0" + ["6", "7"].randomElement(using: &random)!
                            + String(format: "%08d", Int.random(in: 0..<100_000_000, using: &random))
                        // Some people fill the form twice the same day: duplicates.
                        if !phonesOfDay.isEmpty, Double.random(in: 0..<1, using: &random) < 0.04 {
                            phone = phonesOfDay.randomElement(using: &random)!
                        }
                        phonesOfDay.append(phone)
                        let first = firstNames.randomElement(using: &random)!
                        let last = lastNames.randomElement(using: &random)!
                        let body: [String: JSONValue] = [
                            "phone": .string(phone), "prenom": .string(first), "nom": .string(last),
                            "email": .string(
                                "\(Slug.make(first)).\(Slug.make(last))\(Int.random(in: 1...99, using: &random))@exemple.fr"
                            ),
                            "code_postal": .string(postal), "statut_occupant": .string("proprietaire"),
                            "type_logement": .string(
                                Double.random(in: 0..<1, using: &random) < 0.8 ? "maison" : "appartement"),
                            "surface_habitable": .number(Double(Int.random(in: 60...180, using: &random))),
                            "chauffage_actuel": .string(
                                ["fioul", "gaz", "electrique", "bois"].randomElement(using: &random)!),
                            "facture_electricite": .string(
                                ["100-150", "150-200", "200+"].randomElement(using: &random)!),
                            "session_id": .string(session), "visitor_id": .string(visitor),
                            "utm_source": utm["utm_source"].map { .string($0) } ?? .null,
                            "lp_code": .string(site.page.code),
                            "consent": .object(["phone": .bool(true), "email": .bool(true)]),
                        ]
                        guard
                            case .success(let lead) = LeadSubmission.validate(
                                body, required: [.phone], metropolitanOnly: true)
                        else { continue }
                        drafts.append(
                            LeadDraft(
                                id: TimeOrderedID.make(at: received), organizationId: orgId,
                                formId: try site.form.requireID(),
                                accountId: site.page.accountId, crmId: site.crmId, landingPageId: site.page.id,
                                diffusionSourceId: site.source?.id, productType: site.form.productType,
                                formCode: site.form.code, lead: lead, ip: nil, userAgent: "Démo LeadHub",
                                apiKeyId: nil, submissionHash: Secrets.sha256Hex(JSONValue.object(body).canonical),
                                idempotencyKey: nil, receivedAt: received,
                                duplicateWindowHours: organization?.duplicateWindowHours, excludeFromRouting: false,
                                routing: routing))
                    }
                }
            }
            if events.count >= 5_000 {
                try await EventIngest.write(events, on: app.db)
                eventCount += events.count
                events.removeAll(keepingCapacity: true)
            }
        }
        try await EventIngest.write(events, on: app.db)
        eventCount += events.count
        var stored = try await store(drafts, app: app)
        // Two weeks of an A/B campaign on the first site (its leads are settled with the others).
        stored += try await DemoCampaign.create(app: app, orgId: orgId, site: sites[0], now: now)
        try await settleHistory(app: app, orgId: orgId, before: now.addingTimeInterval(-3_600), random: &random)
        return (eventCount, stored)
    }

    /// Stores leads in arrival order through the lead writer: a few hundred at a time on SQLite
    /// (the writer groups them per commit); a few at a time on PostgreSQL, where each lead takes a
    /// pooled connection. Returns how many were stored.
    static func store(_ drafts: [LeadDraft], app: Application) async throws -> Int {
        var stored = 0
        for chunk in drafts.sorted(by: { $0.receivedAt < $1.receivedAt }).chunked(
            app.leadWriter.usesGroupCommit ? 256 : 4)
        {
            stored += try await withThrowingTaskGroup(of: Int.self) { group in
                for draft in chunk {
                    group.addTask {
                        if case .stored = try await app.leadWriter.submit(draft) { return 1 }
                        return 0
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        return stored
    }

    /// The history's deliveries already happened: those of leads older than `before` are settled
    /// as the partners would have answered (mostly delivered, some "doublon", a few refused), with
    /// their attempts; the last hour's are left to the simulated partners, live.
    static func settleHistory(app: Application, orgId: UUID, before: Date, random: inout Random) async throws {
        let owner = "demo-history"
        let sql = app.db as! any SQLDatabase
        let rows = try await sql.raw(
            """
            UPDATE "deliveries" SET "lease_owner" = \(bind: owner), "lease_until" = \(bind: before.addingTimeInterval(86_400 * 365))
            WHERE "organization_id" = \(bind: orgId) AND "status" = 'pending' AND "created_at" < \(bind: before)
            RETURNING "id", "created_at"
            """
        ).all()
        let created = Dictionary(
            uniqueKeysWithValues: try rows.map {
                (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "created_at", as: Date.self))
            })
        for chunk in Array(created.keys).chunked(500) {
            let jobs = try await DeliveryService.jobs(
                chunk, secrets: app.secretBox, timeout: app.config.deliveryTimeout, on: app.db)
            let settlements = jobs.map { job -> DeliveryService.Settlement in
                let roll = Double.random(in: 0..<1, using: &random)
                let (outcome, status, excerpt): (DeliveryOutcome, Int, String) =
                    roll < 0.93
                    ? (.delivered, 201, "{\"status\":\"ok\"}")
                    : roll < 0.98
                        ? (.duplicate, 200, "{\"message\":\"doublon\"}")
                        : (
                            .refused("Le CRM a refusé le lead : code postal hors zone."), 400,
                            "{\"error\":\"code_postal\"}"
                        )
                let at = (created[job.deliveryId] ?? before).addingTimeInterval(
                    Double.random(in: 1...20, using: &random))
                return DeliveryService.Settlement(
                    job: job, outcome: outcome, httpStatus: status, excerpt: excerpt, startedAt: at,
                    durationMs: Int.random(in: 60...420, using: &random))
            }
            try await DeliveryService.settleBatch(
                settlements, owner: owner, schedule: app.config.retrySchedule, now: before, on: app.db)
        }
    }
}
