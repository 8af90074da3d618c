import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// The demo's A/B campaign: the first site's landing page against a second version of it, in front
/// of the same form, running for two weeks (visitors assigned by the real split, leads stored by
/// the lead writer with their visitor ids), so that its page shows figures, a chart and a verdict.
enum DemoCampaign {
    static let days = 14
    static let visitorsPerDay = 430
    /// Conversion of visitors into leads: the control, and the new version.
    static let rates = (0.040, 0.057)

    static func create(app: Application, orgId: UUID, site: DemoTraffic.Site, now: Date) async throws -> Int {
        let db = app.db
        let start = now.addingTimeInterval(-Double(days) * 86_400)
        let existing = try await LandingPage.query(on: db).filter(\.$organizationId == orgId).all().map(\.code)
        let variantPage = LandingPage()
        variantPage.organizationId = orgId
        variantPage.accountId = site.page.accountId
        variantPage.code = PageCode.next(prefix: "LP", existing: existing)
        variantPage.name = site.page.name + " — version B"
        variantPage.url = (site.page.url ?? "https://exemple.fr/lp") + "-b"
        variantPage.diffusionSourceId = site.page.diffusionSourceId
        variantPage.kind = .redirect
        variantPage.formId = site.form.id
        variantPage.status = .active
        try await variantPage.create(on: db)

        let campaign = Campaign()
        campaign.organizationId = orgId
        campaign.accountId = site.form.accountId
        campaign.code = "AB-001"
        campaign.name = "Accroche économies ou autonomie"
        campaign.modeRaw = CampaignMode.landingPages.rawValue
        campaign.formId = site.form.id
        campaign.status = .running
        campaign.minDays = CampaignVerdict.Rules.defaultMinDays
        campaign.maxDays = CampaignVerdict.Rules.defaultMaxDays
        campaign.seed = "demo-ab-001"
        campaign.phase = 1
        campaign.phaseStartedAt = start
        campaign.startedAt = start
        try await campaign.create(on: db)
        var variants = [CampaignVariant]()
        for (position, page) in [site.page, variantPage].enumerated() {
            let variant = CampaignVariant()
            variant.organizationId = orgId
            variant.campaignId = try campaign.requireID()
            variant.position = position
            variant.landingPageId = page.id
            variant.weight = 50
            try await variant.create(on: db)
            variants.append(variant)
        }
        let phase = CampaignPhase()
        phase.organizationId = orgId
        phase.campaignId = try campaign.requireID()
        phase.number = 1
        phase.weightsJSON = "[50,50]"
        phase.startedAt = start
        try await phase.create(on: db)

        var random = DemoTraffic.Random(state: 0xAB_0001)
        let routing = try await app.intakeCache.routingConfig(organizationId: orgId, now: now, on: db)
        let policy = try await Organization.find(orgId, on: db)?.intakePolicy
        var rows = [[any SQLExpression]]()
        var drafts = [LeadDraft]()
        for day in 0..<days {
            for _ in 0..<visitorsPerDay {
                let seen = start.addingTimeInterval(
                    Double(day) * 86_400 + Double.random(in: 0..<86_000, using: &random))
                if seen > now { continue }
                let visitor = String(format: "%016llx", random.next())
                let position = CampaignAssignment.pick(seed: campaign.seed, visitorId: visitor, weights: [50, 50])
                rows.append([
                    SQLBind(UUID()), SQLBind(orgId), SQLBind(try campaign.requireID()), SQLBind(1), SQLBind(visitor),
                    SQLBind(try variants[position].requireID()), SQLBind(false),
                    SQLBind(1 + (Double.random(in: 0..<1, using: &random) < 0.15 ? 1 : 0)), SQLBind(seen),
                    SQLBind(seen), SQLBind(day),
                ])
                let rate = position == 0 ? rates.0 : rates.1
                guard Double.random(in: 0..<1, using: &random) < rate else { continue }
                let received = min(now, seen.addingTimeInterval(Double.random(in: 120...900, using: &random)))
                let phone =
                    "0" + ["6", "7"].randomElement(using: &random)!
                    + String(format: "%08d", Int.random(in: 0..<100_000_000, using: &random))
                let body: [String: JSONValue] = [
                    "phone": .string(phone), "prenom": .string(["Léa", "Hugo", "Manon", "Théo"][day % 4]),
                    "nom": .string(["Martin", "Durand", "Lefèvre", "Moreau", "Garnier"][Int(random.next() % 5)]),
                    "email": .string("prospect\(random.next() % 100_000)@exemple.fr"),
                    "code_postal": .string(["33000", "44000", "75011", "13001", "69003"][Int(random.next() % 5)]),
                    "statut_occupant": .string("proprietaire"), "type_logement": .string("maison"),
                    "visitor_id": .string(visitor), "lp_code": .string([site.page, variantPage][position].code),
                    "utm_source": .string("google"), "utm_campaign": .string("ab-001"),
                    "consent": .object(["phone": .bool(true), "email": .bool(true)]),
                ]
                guard case .success(let lead) = LeadSubmission.validate(body, required: [.phone]) else { continue }
                var draft = LeadDraft(
                    id: TimeOrderedID.make(at: received), organizationId: orgId, formId: try site.form.requireID(),
                    accountId: site.page.accountId, crmId: site.crmId,
                    landingPageId: [site.page, variantPage][position].id, diffusionSourceId: site.source?.id,
                    productType: site.form.productType, formCode: site.form.code, lead: lead, ip: nil,
                    userAgent: "Démo LeadHub", apiKeyId: nil,
                    submissionHash: Secrets.sha256Hex(JSONValue.object(body).canonical), idempotencyKey: nil,
                    receivedAt: received, duplicateWindowHours: nil, excludeFromRouting: false, routing: routing)
                if let policy { draft.policy = policy }
                drafts.append(draft)
            }
        }
        let sql = db as! any SQLDatabase
        for chunk in rows.chunked(400) {
            let insert = sql.insert(into: "campaign_assignments")
                .columns(
                    "id", "organization_id", "campaign_id", "phase", "visitor_id", "variant_id", "is_bot", "exposures",
                    "first_seen_at", "last_seen_at", "phase_day")
            for row in chunk { insert.values(row) }
            try await insert.run()
        }
        return try await DemoTraffic.store(drafts, app: app)
    }
}
