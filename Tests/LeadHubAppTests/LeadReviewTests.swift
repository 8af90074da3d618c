import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

/// Issue 13: every lead the business paid for is kept. With field errors it answers 201
/// `incomplete` or `invalid` and waits in « À vérifier »; a doubtful quality score holds or rejects
/// it; without phone opt-in it is kept but not sent. An editor completes and releases it (routed and
/// delivered like any lead) or rejects it. Real HTTP to a fake CRM on loopback.
@Suite struct LeadReviewTests {
    nonisolated(unsafe) static let complete: [String: Any] = [
        "form_code": "PV-001", "phone": "06 12 48 53 78", "nom": "Dupont", "prenom": "Léa", "code_postal": "75008",
        "email": "lea@exemple.fr", "statut_occupant": "proprietaire", "type_logement": "maison",
        "form_elapsed_ms": 48_000, "consent": ["phone": true, "text": "J'accepte d'être rappelé par les partenaires."],
    ]

    /// CRM "Un" buys PV in 75 and sends to `fake`.
    func prepare(_ t: TestApp, fake: FakeCrm, consentGate: Bool = false) async throws -> Tenant {
        let tenant = try await t.makeTenant("Alpha")
        _ = try await t.api(
            .PATCH, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken,
            json: [
                "api_url": fake.url, "delivery_kind": "zr7",
                "orders": ["PV": ["active": true, "departements": ["75"]]],
                "lead_prices": ["PV": 20],
            ])
        _ = try await t.api(
            .PATCH, "/api/admin/accounts/\(tenant.account.id!)", token: tenant.adminToken,
            json: ["crm_tokens": ["PV": "token-compte-un-0001"]])
        try await (t.db as! any SQLDatabase).update("deliveries").set("status", to: "cancelled").run()
        if consentGate {
            tenant.organization.requirePhoneConsent = nil  // the default: required
            try await tenant.organization.save(on: t.db)
        }
        return tenant
    }

    func submit(_ t: TestApp, _ tenant: Tenant, _ body: [String: Any], ip: String? = nil) async throws
        -> TestingHTTPResponse
    {
        var headers: HTTPHeaders = ["Authorization": "Token \(tenant.apiKeyRaw)"]
        if let ip { headers.add(name: "X-Forwarded-For", value: ip) }
        return try await t.api(.POST, "/api/v1/leads", json: body, headers: headers)
    }

    func id(_ response: TestingHTTPResponse) throws -> UUID {
        let text = try #require(try response.json()["id"] as? String)
        return try #require(UUID(uuidString: text))
    }

    func deliveries(_ t: TestApp, _ lead: UUID) async throws -> Int {
        try await Delivery.query(on: t.db).filter(\.$leadId == lead).count()
    }

    func status(_ t: TestApp, _ lead: UUID) async throws -> String? {
        try await Lead.find(lead, on: t.db)?.status
    }

    @Test func aLeadMissingARequiredFieldIsKeptSentOnlyOnceCompletedAndReleased() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            var body = Self.complete
            body.removeValue(forKey: "nom")
            let response = try await submit(t, tenant, body)
            #expect(response.status == .created)
            let answer = try response.json()
            #expect(answer["status"] as? String == "incomplete")
            #expect(answer["success"] as? Bool == true)
            #expect(try response.fieldErrors()["nom"] == ["Ce champ est obligatoire pour ce produit."])
            let lead = try id(response)
            #expect(try await status(t, lead) == "incomplete")
            #expect(try await deliveries(t, lead) == 0)

            // Visible in « À vérifier », never sent while it waits.
            let queue = try await t.api(.GET, "/api/admin/leads/review", token: tenant.editorToken).json()
            let items = try #require(queue["items"] as? [[String: Any]])
            #expect(items.map { $0["id"] as? String } == [lead.uuidString])
            let review = try #require(items.first?["review"] as? [String: Any])
            #expect((review["errors"] as? [String: [String]])?["nom"] != nil)
            #expect(try await t.app.deliveryWorker.runOnce() == 0)
            #expect(fake.received.isEmpty)

            // Released before it is completed: refused, with what is missing.
            let early = try await t.api(.POST, "/api/admin/leads/\(lead)/release", token: tenant.editorToken)
            #expect(early.status == .unprocessableEntity)
            #expect(try early.fieldErrors()["nom"] != nil)

            // Completed, then released: routed and delivered like any lead.
            let patched = try await t.api(
                .PATCH, "/api/admin/leads/\(lead)", token: tenant.editorToken, json: ["nom": "Dupont"])
            #expect(patched.status == .ok)
            #expect(try await Lead.find(lead, on: t.db)?.reviewErrorsJSON == nil)
            let released = try await t.api(.POST, "/api/admin/leads/\(lead)/release", token: tenant.editorToken)
            #expect(released.status == .ok)
            let routing = try #require(try released.json()["routing"] as? [String: Any])
            #expect(routing["crm_id"] as? String == tenant.crm.id!.uuidString)
            #expect(try released.json()["review"] == nil)
            #expect(try await t.app.deliveryWorker.runOnce() == 1)
            #expect(fake.received.count == 1)
            #expect(try await status(t, lead) == "delivered")
            let events = try await LeadEvent.query(on: t.db).filter(\.$leadId == lead).all().map(\.summary)
            #expect(events.contains { $0.hasPrefix("Libéré (était : Incomplet)") })
            #expect(
                try await ActivityEntry.query(on: t.db).filter(\.$summary ~~ "libéré").count() == 1)
            // Released once: a second release is a conflict.
            let again = try await t.api(.POST, "/api/admin/leads/\(lead)/release", token: tenant.editorToken)
            #expect(again.status == .conflict)
        }
    }

    @Test func aMalformedPhoneIsKeptInvalidAsTypedAndCorrectedBeforeRelease() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            var body = Self.complete
            body["phone"] = "06 12 48"
            let response = try await submit(t, tenant, body)
            #expect(response.status == .created)
            #expect(try response.json()["status"] as? String == "invalid")
            #expect(try response.fieldErrors()["phone"]?.first?.contains("10 chiffres") == true)
            let lead = try id(response)
            let stored = try #require(try await Lead.find(lead, on: t.db))
            #expect(stored.status == "invalid" && stored.phone == "06 12 48")
            #expect(try await deliveries(t, lead) == 0)
            let early = try await t.api(.POST, "/api/admin/leads/\(lead)/release", token: tenant.editorToken)
            #expect(try early.fieldErrors()["phone"] != nil)
            _ = try await t.api(
                .PATCH, "/api/admin/leads/\(lead)", token: tenant.editorToken, json: ["phone": "06 12 48 53 78"])
            #expect(try await Lead.find(lead, on: t.db)?.phone == "+33612485378")
            let released = try await t.api(.POST, "/api/admin/leads/\(lead)/release", token: tenant.editorToken)
            #expect(released.status == .ok)
            #expect(try await t.app.deliveryWorker.runOnce() == 1)
            #expect(fake.received.count == 1)
        }
    }

    @Test func withNothingToReachThePersonOrInAStrictOrganizationItIsStill422() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            var nobody = Self.complete
            nobody.removeValue(forKey: "phone")
            nobody["email"] = "pas-une-adresse"
            let refused = try await submit(t, tenant, nobody)
            #expect(refused.status == .unprocessableEntity)
            #expect(try refused.fieldErrors()["phone"] != nil)
            // An e-mail alone is enough to keep it.
            var emailOnly = Self.complete
            emailOnly.removeValue(forKey: "phone")
            let kept = try await submit(t, tenant, emailOnly)
            #expect(kept.status == .created)
            #expect(try kept.json()["status"] as? String == "incomplete")

            tenant.organization.intakeStrict = true
            try await tenant.organization.save(on: t.db)
            var missing = Self.complete
            missing.removeValue(forKey: "nom")
            let strict = try await submit(t, tenant, missing)
            #expect(strict.status == .unprocessableEntity)
            #expect(try strict.fieldErrors()["nom"] != nil)
            #expect(try await Lead.query(on: t.db).filter(\.$status == "incomplete").count() == 1)
        }
    }

    @Test func qualityHoldsOrRejectsAndAnEditorReleasesOrRejects() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            // A robot fills the honeypot: told "accepted", stored rejected, never sent.
            var robot = Self.complete
            robot["honeypot"] = "https://spam.example"
            let robotAnswer = try await submit(t, tenant, robot, ip: "203.0.113.1")
            #expect(try robotAnswer.json()["status"] as? String == "accepted")
            let robotLead = try id(robotAnswer)
            #expect(try await status(t, robotLead) == "rejected")
            let robotRow = try #require(try await Lead.find(robotLead, on: t.db))
            #expect(robotRow.qualityScore == 100)
            #expect(LeadReview.qualitySignals(of: robotRow).map(\.code) == [LeadQuality.honeypot])

            // A fake phone (45) is held; with a fake name (35) too, it is rejected.
            var doubtful = Self.complete
            doubtful["phone"] = "06 12 34 56 78"
            let held = try id(try await submit(t, tenant, doubtful, ip: "203.0.113.2"))
            #expect(try await status(t, held) == "held")
            doubtful["nom"] = "Azerty"
            doubtful["phone"] = "06 98 76 54 32"
            let rejected = try id(try await submit(t, tenant, doubtful, ip: "203.0.113.3"))
            #expect(try await status(t, rejected) == "rejected")
            #expect(try await Lead.find(rejected, on: t.db)?.qualityScore == 80)
            // A clean lead goes straight through.
            let clean = try id(try await submit(t, tenant, Self.complete, ip: "203.0.113.4"))
            #expect(try await status(t, clean) == "received")
            #expect(try await t.app.deliveryWorker.runOnce() == 1)

            // The organization's thresholds decide: raised, the same fake phone passes.
            let set = try await t.api(
                .PATCH, "/api/admin/organization", token: tenant.adminToken,
                json: ["quality_hold_threshold": 50, "quality_reject_threshold": 90])
            #expect(set.status == .ok)
            #expect(try set.json()["quality_hold_threshold"] as? Int == 50)
            var raised = Self.complete
            raised["phone"] = "06 23 45 67 89"
            let passes = try id(try await submit(t, tenant, raised, ip: "203.0.113.5"))
            #expect(try await status(t, passes) == "received")
            let bad = try await t.api(
                .PATCH, "/api/admin/organization", token: tenant.adminToken,
                json: ["quality_hold_threshold": 80, "quality_reject_threshold": 60])
            #expect(try bad.fieldErrors()["quality_reject_threshold"] != nil)

            // Held → rejected by an editor, with a reason; a rejected lead can still be released.
            let noReason = try await t.api(.POST, "/api/admin/leads/\(held)/reject", token: tenant.editorToken)
            #expect(try noReason.fieldErrors()["reason"] != nil)
            let rejectedByEditor = try await t.api(
                .POST, "/api/admin/leads/\(held)/reject", token: tenant.editorToken,
                json: ["reason": "Numéro fantaisiste confirmé"])
            #expect(try rejectedByEditor.json()["status"] as? String == "rejected")
            let events = try await LeadEvent.query(on: t.db).filter(\.$leadId == held).all().map(\.summary)
            #expect(events == ["Rejeté : Numéro fantaisiste confirmé"])
            let release = try await t.api(.POST, "/api/admin/leads/\(rejected)/release", token: tenant.editorToken)
            #expect(release.status == .ok)
            #expect(try await t.app.deliveryWorker.runOnce() == 2)
            #expect(fake.received.count == 3)
            #expect(try await status(t, robotLead) == "rejected")
        }
    }

    @Test func repeatedLeadsFromOneAddressLowerTheScore() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run(configure: { $0.trustProxy = true }) { t in
            let tenant = try await prepare(t, fake: fake)
            var scores: [Int?] = []
            for phone in ["06 11 22 33 44", "06 22 33 44 55", "06 33 44 55 66"] {
                var body = Self.complete
                body["phone"] = phone
                let lead = try id(try await submit(t, tenant, body, ip: "198.51.100.20"))
                scores.append(try await Lead.find(lead, on: t.db)?.qualityScore)
            }
            #expect(scores == [0, 0, 20])
        }
    }

    @Test func withoutPhoneOptInALeadIsKeptNotSentUntilConsentIsConfirmed() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run(configure: { $0.trustProxy = true }) { t in
            let tenant = try await prepare(t, fake: fake, consentGate: true)
            #expect(try await OrganizationService.create(name: "Neuve", on: t.db).intakePolicy.requirePhoneConsent)
            var body = Self.complete
            body["consent"] = ["phone": false, "email": true, "text": "J'accepte les e-mails."]
            let response = try await submit(t, tenant, body)
            #expect(response.status == .created)
            let answer = try response.json()
            #expect(answer["status"] as? String == "accepted")
            let warnings = try #require(answer["warnings"] as? [String: [String]])
            #expect(warnings["consent"]?.first?.contains("ne sera pas transmis") == true)
            let lead = try id(response)
            #expect(try await status(t, lead) == "no_consent")
            #expect(try await deliveries(t, lead) == 0)
            #expect(try await t.app.deliveryWorker.runOnce() == 0)

            let unconfirmed = try await t.api(.POST, "/api/admin/leads/\(lead)/release", token: tenant.editorToken)
            #expect(try unconfirmed.fieldErrors()["consent_obtained"] != nil)
            let confirmed = try await t.api(
                .POST, "/api/admin/leads/\(lead)/release", token: tenant.editorToken,
                json: ["consent_obtained": true, "note": "Rappel enregistré le 3/12"])
            #expect(confirmed.status == .ok)
            #expect(try await Lead.find(lead, on: t.db)?.consentPhone == true)
            #expect(try await t.app.deliveryWorker.runOnce() == 1)

            // With the opt-in, the consent record is complete and the lead goes straight through.
            var proved = Self.complete
            proved["phone"] = "06 71 42 93 58"
            proved["page_url"] = "https://alpha.example/lp?utm_source=google"
            proved["consent"] = [
                "phone": true, "text": "J'accepte d'être rappelé par les partenaires.", "partners_version": "2026-11",
            ]
            var headers: HTTPHeaders = ["Authorization": "Token \(tenant.apiKeyRaw)"]
            headers.add(name: .userAgent, value: "Mozilla/5.0 (test)")
            headers.add(name: "X-Forwarded-For", value: "198.51.100.33")
            let direct = try await t.api(.POST, "/api/v1/leads", json: proved, headers: headers)
            let record = try await t.api(.GET, "/api/admin/leads/\(try id(direct))", token: tenant.viewerToken).json()
            #expect(record["status"] as? String == "received")
            let consent = try #require(record["consent"] as? [String: Any])
            #expect(consent["partners_version"] as? String == "2026-11")
            #expect(
                consent["text_hash"] as? String == Secrets.sha256Hex("J'accepte d'être rappelé par les partenaires."))
            #expect(consent["url"] as? String == "https://alpha.example/lp?utm_source=google")
            #expect(consent["user_agent"] as? String == "Mozilla/5.0 (test)")
            #expect(consent["ip"] as? String == "198.51.100.33")

            // Switched off, the gate lets a lead without opt-in through.
            _ = try await t.api(
                .PATCH, "/api/admin/organization", token: tenant.adminToken, json: ["require_phone_consent": false])
            body["phone"] = "06 81 52 43 67"
            let open = try id(try await submit(t, tenant, body))
            #expect(try await status(t, open) == "received")
        }
    }

    @Test func theConsentRecordIsSentToAWebhookCrm() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run(configure: { $0.trustProxy = true }) { t in
            let tenant = try await prepare(t, fake: fake)
            _ = try await t.api(
                .PATCH, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken,
                json: ["delivery_kind": "webhook"])
            var body = Self.complete
            body["consent"] = [
                "phone": true, "text": "J'accepte d'être rappelé par les partenaires.", "partners_version": "2026-11",
            ]
            _ = try await submit(t, tenant, body, ip: "203.0.113.50")
            #expect(try await t.app.deliveryWorker.runOnce() == 1)
            let sent = try #require(fake.received.first)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [String: Any])
            #expect(json["consent_phone"] as? String == "true")
            #expect(json["consent_partners_version"] as? String == "2026-11")
            #expect(json["consent_ip"] as? String == "203.0.113.50")
            #expect(
                json["consent_text_hash"] as? String
                    == Secrets.sha256Hex("J'accepte d'être rappelé par les partenaires."))
        }
    }

    @Test func reviewActionsAreForEditorsOfTheOrganizationOnly() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let other = try await t.makeTenant("Beta")
            var body = Self.complete
            body.removeValue(forKey: "nom")
            let lead = try id(try await submit(t, tenant, body))
            for path in ["release", "reject"] {
                let foreign = try await t.api(
                    .POST, "/api/admin/leads/\(lead)/\(path)", token: other.adminToken, json: ["reason": "x"])
                #expect(foreign.status == .notFound)
                let viewer = try await t.api(
                    .POST, "/api/admin/leads/\(lead)/\(path)", token: tenant.viewerToken, json: ["reason": "x"])
                #expect(viewer.status == .forbidden)
            }
            let foreignQueue = try await t.api(.GET, "/api/admin/leads/review", token: other.adminToken).json()
            #expect((foreignQueue["items"] as? [Any])?.isEmpty == true)
            // Force-sending a lead that waits for review is refused: release it first.
            let forced = try await t.api(
                .POST, "/api/admin/leads/\(lead)/force", token: tenant.adminToken,
                json: ["crm_id": tenant.crm.id!.uuidString])
            #expect(forced.status == .conflict)
            #expect(try await status(t, lead) == "incomplete")
        }
    }

    @Test func theReviewPageListsWhyAndTheLeadPageReleasesAndRejects() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            var body = Self.complete
            body.removeValue(forKey: "nom")
            let incomplete = try id(try await submit(t, tenant, body))
            var fake2 = Self.complete
            fake2["phone"] = "06 12 34 56 78"
            let held = try id(try await submit(t, tenant, fake2))
            let session = try await t.login(email: "editor@alpha.test")
            let page = try await t.browse(.GET, "/leads/review", session: session)
            #expect(page.status == .ok)
            let html = page.body.string
            #expect(html.contains("À vérifier"))
            #expect(html.contains("Champs manquants ou invalides"))
            #expect(html.contains("Ce champ est obligatoire pour ce produit."))
            #expect(html.contains("Numéro de téléphone fantaisiste"))
            #expect(html.contains("/leads/\(incomplete.uuidString)") && html.contains("/leads/\(held.uuidString)"))

            let leadPage = try await t.browse(.GET, "/leads/\(held.uuidString)", session: session)
            #expect(leadPage.body.string.contains("Libérer vers le routage"))
            #expect(leadPage.body.string.contains("45/100"))
            let rejected = try await t.browse(
                .POST, "/leads/\(held.uuidString)/review", session: session,
                form: ["action": "reject", "reason": "Faux numéro", "back": "/leads/review"])
            #expect(rejected.status == .seeOther)
            #expect(try await status(t, held) == "rejected")
            let refused = try await t.browse(
                .POST, "/leads/\(incomplete.uuidString)/review", session: session, form: ["action": "release"])
            #expect(refused.status == .seeOther)
            #expect(try await status(t, incomplete) == "incomplete")
            let after = try await t.browse(.GET, "/leads/review?status=rejected", session: session)
            #expect(after.body.string.contains("/leads/\(held.uuidString)"))
        }
    }
}
