import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

/// « Retours » through each channel (the CRM's key, an admin on its behalf, a CSV file), the rules
/// (window, one per lead, verified duplicate, cap), and the credit on the inter-CRM billing.
@Suite struct ReturnsTests {
    /// Two CRMs: "Un" (origin of the tenant's account) buys nothing, "Deux" buys PV in 75 at 20 €;
    /// leads of Un's account are rerouted to Deux and billed Deux → Un.
    func prepare(_ t: TestApp, fake: FakeCrm) async throws -> Tenant {
        let tenant = try await t.makeTenant("Alpha")
        _ = try await t.api(
            .PATCH, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken,
            json: ["api_url": fake.url, "orders": ["PV": ["active": false, "departements": []]]])
        _ = try await t.api(
            .PATCH, "/api/admin/crms/\(tenant.otherCrm.id!)", token: tenant.adminToken,
            json: [
                "api_url": fake.url, "delivery_kind": "zr7",
                "orders": ["PV": ["active": true, "departements": ["75"]]], "lead_prices": ["PV": 20],
                "redistribution_tokens": ["PV": "token-deux"],
            ])
        try await (t.db as! any SQLDatabase).update("deliveries").set("status", to: "cancelled").run()
        return tenant
    }

    func deliver(_ t: TestApp, _ tenant: Tenant, phone: String) async throws -> UUID {
        let response = try await t.api(
            .POST, "/api/v1/leads",
            json: [
                "form_code": "PV-001", "phone": phone, "nom": "Dupont", "code_postal": "75008",
                "statut_occupant": "proprietaire", "type_logement": "maison", "consent": ["phone": true],
            ],
            headers: ["Authorization": "Token \(tenant.apiKeyRaw)"])
        #expect(response.status == .created)
        let text = try #require(try response.json()["id"] as? String)
        let id = try #require(UUID(uuidString: text))
        try await t.app.deliveryWorker.runOnce()
        return id
    }

    func billing(_ t: TestApp, _ tenant: Tenant) async throws -> [String: Any] {
        try await t.api(.GET, "/api/admin/billing", token: tenant.adminToken).json()
    }

    @Test func aCrmReturnsWithItsKeyAnAcceptedReturnIsACreditOnTheBilling() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let lead = try await deliver(t, tenant, phone: "06 12 48 53 78")
            _ = try await deliver(t, tenant, phone: "06 71 42 93 58")
            #expect(try await Lead.find(lead, on: t.db)?.status == "delivered")
            #expect(try await Lead.find(lead, on: t.db)?.routedCrmId == tenant.otherCrm.id)
            let before = try await billing(t, tenant)
            #expect(before["total"] as? Double == 40)

            let keyAnswer = try await t.api(
                .POST, "/api/admin/crms/\(tenant.otherCrm.id!)/returns-key", token: tenant.adminToken)
            let key = try #require(try keyAnswer.json()["key"] as? String)
            #expect(key.hasPrefix("lhr_"))
            let editorKey = try await t.api(
                .POST, "/api/admin/crms/\(tenant.otherCrm.id!)/returns-key", token: tenant.editorToken)
            #expect(editorKey.status == .forbidden)

            // Without a key, with another CRM's lead, with an unknown reason: refused in French.
            let anonymous = try await t.api(.POST, "/api/v1/returns", json: ["lead_id": lead.uuidString])
            #expect(anonymous.status == .unauthorized)
            let headers: HTTPHeaders = ["Authorization": "Token \(key)"]
            let unknown = try await t.api(
                .POST, "/api/v1/returns", json: ["lead_id": lead.uuidString, "reason": "pas content"], headers: headers)
            #expect(try unknown.fieldErrors()["reason"]?.first?.contains("numero_invalide") == true)

            let returned = try await t.api(
                .POST, "/api/v1/returns", json: ["phone": "0612485378", "reason": "Numéro invalide"], headers: headers)
            #expect(returned.status == .created)
            let answer = try returned.json()
            #expect(answer["status"] as? String == "pending")
            #expect(answer["lead_id"] as? String == lead.uuidString)
            #expect(answer["credit_cents"] as? Int == 2_000)
            let again = try await t.api(
                .POST, "/api/v1/returns", json: ["lead_id": lead.uuidString, "reason": "faux_test"], headers: headers)
            #expect(try again.fieldErrors()["lead_id"] == ["Ce lead a déjà été retourné."])
            #expect(try await billing(t, tenant)["total"] as? Double == 40)  // pending: no credit yet

            // A decision: refusing needs a note; accepting makes the credit.
            let returnId = try #require(answer["id"] as? String)
            let noNote = try await t.api(.POST, "/api/admin/returns/\(returnId)/refuse", token: tenant.editorToken)
            #expect(try noNote.fieldErrors()["note"] != nil)
            let other = try await t.makeTenant("Beta")
            let foreign = try await t.api(.POST, "/api/admin/returns/\(returnId)/accept", token: other.adminToken)
            #expect(foreign.status == .notFound)
            let accepted = try await t.api(.POST, "/api/admin/returns/\(returnId)/accept", token: tenant.editorToken)
            #expect(try accepted.json()["status"] as? String == "accepted")
            let after = try await billing(t, tenant)
            #expect(after["total"] as? Double == 20)
            let rows = try #require(after["rows"] as? [[String: Any]])
            #expect(rows.first?["returned"] as? Int == 1 && rows.first?["credit"] as? Double == 20)
            let statements = try #require(after["crms"] as? [[String: Any]])
            let deux = try #require(statements.first { $0["crm_id"] as? String == tenant.otherCrm.id!.uuidString })
            #expect(deux["amount_to_invoice"] as? Double == 20 && deux["credit_given"] as? Double == 20)
            #expect(try await Lead.find(lead, on: t.db)?.returnStatus == "accepted")
            let events = try await LeadEvent.query(on: t.db).filter(\.$leadId == lead).all().map(\.summary)
            #expect(events.count == 2 && events[1].hasPrefix("Retour accepté"))
            // The dashboard's quality and return rates: by buying CRM, form, LP, source.
            let quality = try await t.api(.GET, "/api/admin/stats/quality?period=today", token: tenant.adminToken)
                .json()
            let tables = try #require(quality["tables"] as? [[String: Any]])
            let byCrm = try #require(
                tables.first { $0["id"] as? String == "quality-by-crm" }?["rows"] as? [[String: Any]])
            let deuxRow = try #require(byCrm.first { ($0["name"] as? String)?.contains("Deux") == true })
            #expect(deuxRow["delivered"] as? String == "2" && deuxRow["returned"] as? String == "1")
            #expect(deuxRow["return_rate"] as? String == "50 %")
            let page = try await t.browse(.GET, "/", session: try await t.login(email: "admin@alpha.test"))
            #expect(
                page.body.string.contains("Qualité et retours") && page.body.string.contains("Retours par CRM acheteur")
            )
            let decidedTwice = try await t.api(
                .POST, "/api/admin/returns/\(returnId)/refuse", token: tenant.editorToken, json: ["note": "x"])
            #expect(decidedTwice.status == .conflict)
        }
    }

    @Test func aVerifiedDuplicateIsAcceptedAtOnceAndTheWindowCloses() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let first = try await deliver(t, tenant, phone: "06 12 48 53 78")
            t.clock.advance(by: 2 * 86_400)  // another day: not LeadHub's duplicate, but the CRM's
            let second = try await deliver(t, tenant, phone: "06 12 48 53 78")
            #expect(try await Lead.find(second, on: t.db)?.status == "delivered")
            let duplicate = try await t.api(
                .POST, "/api/admin/leads/\(second)/return", token: tenant.editorToken, json: ["reason": "doublon"])
            #expect(duplicate.status == .created)
            #expect(try duplicate.json()["status"] as? String == "accepted")
            #expect(try duplicate.json()["channel"] as? String == "admin")
            // The first one's duplicate claim cannot be verified (nothing before it): it waits.
            let unverified = try await t.api(
                .POST, "/api/admin/leads/\(first)/return", token: tenant.editorToken, json: ["reason": "doublon"])
            #expect(try unverified.json()["status"] as? String == "pending")

            // The organization's window: 10 days, then 8 days after delivery is still in time.
            let window = try await t.api(
                .PATCH, "/api/admin/organization", token: tenant.adminToken, json: ["return_window_days": 10])
            #expect(try window.json()["return_window_days"] as? Int == 10)
            let wrong = try await t.api(
                .PATCH, "/api/admin/organization", token: tenant.adminToken, json: ["return_cap_percent": 0])
            #expect(try wrong.fieldErrors()["return_cap_percent"] != nil)
            let inTime = try await deliver(t, tenant, phone: "06 81 52 43 67")
            t.clock.advance(by: 8 * 86_400)
            let stillOpen = try await t.api(
                .POST, "/api/admin/leads/\(inTime)/return", token: tenant.editorToken, json: ["reason": "hors_zone"])
            #expect(stillOpen.status == .created)
            _ = try await t.api(
                .PATCH, "/api/admin/organization", token: tenant.adminToken, json: ["return_window_days": ""])

            let late = try await deliver(t, tenant, phone: "06 71 42 93 58")
            t.clock.advance(by: 8 * 86_400)
            let tooLate = try await t.api(
                .POST, "/api/admin/leads/\(late)/return", token: tenant.editorToken, json: ["reason": "hors_zone"])
            #expect(try tooLate.fieldErrors()["lead_id"]?.first?.contains("Délai de retour dépassé") == true)
            let viewer = try await t.api(
                .POST, "/api/admin/leads/\(late)/return", token: tenant.viewerToken, json: ["reason": "hors_zone"])
            #expect(viewer.status == .forbidden)
        }
    }

    @Test func aCsvFileReturnsSeveralLeadsAndSaysWhatBecameOfEachLine() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let a = try await deliver(t, tenant, phone: "06 12 48 53 78")
            _ = try await deliver(t, tenant, phone: "06 71 42 93 58")
            let csv = """
                \u{FEFF}lead_id;telephone;raison;note
                \(a.uuidString);;Mauvaise personne;"Il dit ne pas avoir ""rempli"" le formulaire"
                ;06 71 42 93 58;hors zone;
                ;06 81 52 43 67;doublon;
                ;06 71 42 93 58;autre;
                """
            var headers: HTTPHeaders = [:]
            headers.contentType = HTTPMediaType(type: "text", subType: "csv")
            headers.bearerAuthorization = BearerAuthorization(token: tenant.editorToken)
            let response = try await t.app.testing().performTest(
                request: TestingHTTPRequest(
                    method: .POST, url: "/api/admin/returns/import", headers: headers, body: ByteBuffer(string: csv)))
            #expect(response.status == .ok)
            let answer = try response.json()
            #expect(answer["recorded"] as? Int == 2 && answer["refused"] as? Int == 2)
            let lines = try #require(answer["lines"] as? [[String: Any]])
            #expect(lines.map { $0["line"] as? Int } == [2, 3, 4, 5])
            #expect((lines[2]["message"] as? String)?.contains("Aucun lead livré") == true)
            #expect((lines[3]["message"] as? String)?.contains("déjà été retourné") == true)
            let stored = try #require(try await LeadReturn.query(on: t.db).filter(\.$leadId == a).first())
            #expect(stored.note == "Il dit ne pas avoir \"rempli\" le formulaire" && stored.channel == "csv")

            // The page lists them and decides.
            let session = try await t.login(email: "editor@alpha.test")
            let page = try await t.browse(.GET, "/returns", session: session)
            #expect(page.status == .ok)
            #expect(page.body.string.contains("Mauvaise personne") && page.body.string.contains("Hors zone"))
            let decided = try await t.browse(
                .POST, "/returns/\(stored.id!.uuidString)/decide", session: session, form: ["action": "accept"])
            #expect(decided.status == .seeOther)
            #expect(try await LeadReturn.find(stored.id, on: t.db)?.statusRaw == "accepted")
        }
    }

    @Test func pastTheMonthlyCapReturnsAreFlaggedAndNeverAutomatic() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            var leads: [UUID] = []
            for phone in ["06 12 48 53 78", "06 71 42 93 58", "06 81 52 43 67"] {
                leads.append(try await deliver(t, tenant, phone: phone))
            }
            var flags: [Bool] = []
            for lead in leads {
                let answer = try await t.api(
                    .POST, "/api/admin/leads/\(lead)/return", token: tenant.editorToken,
                    json: ["reason": "non_eligible"])
                flags.append(try answer.json()["over_cap"] as? Bool ?? false)
            }
            // 1 of 3 is allowed; 2 of 3 and 3 of 3 are over 15 %.
            #expect(flags == [false, true, true])
        }
    }
}
