import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

/// The first version's live pages call LeadHub with yesterday's payloads: its global key on
/// `/api/v1/leads`, its form keys on `/api/submit-lead`, its `/api/track/*` calls.
@Suite struct FirstVersionCompatTests {
    static let globalKey = "crm_Zk3vQ2mX8pL0aB7nR5tY1uW9eC4dF6gH2jK8sA0qE3i"
    static let formKey = "0b6f1c2e-3d4a-4f5b-8c6d-7e8f9a0b1c2d"
    static let browser =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"

    /// What the first version's "script complet" posted (`form_id` + the lead's fields).
    static var oldLead: [String: Any] {
        [
            "form_id": "PV-001", "phone": "0612485378", "nom": "Martin", "prenom": "Jean", "civilite": "M.",
            "email": "jean.martin@exemple.fr", "code_postal": "75008", "ville": "Paris",
            "superficie_logement": "120m²", "chauffage_actuel": "Électrique", "type_logement": "Maison",
            "statut_occupant": "Propriétaire", "facture_electricite": "100-150€", "lp_code": "LP-001",
            "liaison_code": "LP-001_PV-001",
        ]
    }

    /// An organization answering first-version calls, with the old global key and a form key.
    func firstVersionTenant(_ t: TestApp) async throws -> Tenant {
        let tenant = try await t.makeTenant("Alpha")
        let orgId = try tenant.organization.requireID()
        try await V1CompatService.keepGlobalKey(Self.globalKey, organizationId: orgId, now: t.clock.now(), on: t.db)
        try await V1CompatService.keepFormKey(
            Self.formKey, formId: try tenant.form.requireID(), organizationId: orgId, now: t.clock.now(), on: t.db)
        tenant.organization.v1CompatEnabled = true
        try await tenant.organization.save(on: t.db)
        return tenant
    }

    func leadId(_ answer: [String: Any]) throws -> UUID {
        let text = try #require(answer["lead_id"] as? String)
        return try #require(UUID(uuidString: text))
    }

    func post(
        _ t: TestApp, _ path: String, _ body: [String: Any], authorization: String? = nil, query: String = ""
    ) async throws -> TestingHTTPResponse {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .userAgent, value: Self.browser)
        headers.replaceOrAdd(name: .origin, value: "https://lp.alpha.example")
        headers.contentType = .json
        if let authorization { headers.replaceOrAdd(name: .authorization, value: authorization) }
        return try await t.app.testing().performTest(
            request: TestingHTTPRequest(
                method: .POST, url: URI(path: path + query), headers: headers,
                body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: body))))
    }

    @Test func globalKeyAndOldFieldNamesStoreALeadThatTheOldPageCodeReadsAsASuccess() async throws {
        try await TestApp.run { t in
            let tenant = try await firstVersionTenant(t)
            let response = try await post(t, "/api/v1/leads", Self.oldLead, authorization: "Token \(Self.globalKey)")
            #expect(response.status == .created)
            #expect(response.headers.first(name: .accessControlAllowOrigin) == "https://lp.alpha.example")
            let body = try response.json()
            #expect(body["success"] as? Bool == true)
            #expect(body["status"] as? String == "accepted")
            #expect(body["message"] as? String == "Lead enregistré")
            let id = try leadId(body)
            #expect(body["id"] as? String == id.uuidString)
            let lead = try #require(try await Lead.find(id, on: t.db))
            #expect(lead.organizationId == tenant.organization.id)
            #expect(lead.formId == tenant.form.id)
            #expect(lead.phone == "+33612485378")
            #expect(lead.civilite == "M")
            #expect(lead.typeLogement == "maison")
            #expect(lead.statutOccupant == "proprietaire")
            #expect(lead.surfaceHabitable == 120)
            #expect(lead.departement == "75")
            #expect(lead.lpCode == "LP-001")
            #expect(lead.landingPageId == tenant.landingPage.id)
            #expect(lead.extra["liaison_code"] == .string("LP-001_PV-001"))
            #expect(lead.extra["form_id"] == nil && lead.extra["superficie_logement"] == nil)
            // Routed like any other lead: a delivery waits in the outbox.
            #expect(try await Delivery.query(on: t.db).filter(\.$leadId == id).count() == 1)
        }
    }

    @Test func bearerWorksLikeTokenAndFormIdMayBeTheFirstVersionsId() async throws {
        try await TestApp.run { t in
            let tenant = try await firstVersionTenant(t)
            let link = V1IdLink()
            link.organizationId = try tenant.organization.requireID()
            link.collection = "forms"
            link.oldId = "5f0c9a1e-aaaa-4bbb-8ccc-000000000001"
            link.newId = try tenant.form.requireID()
            link.fingerprint = "-"
            link.updatedAt = t.clock.now()
            try await link.create(on: t.db)
            var body = Self.oldLead
            body["form_id"] = link.oldId
            let response = try await post(t, "/api/v1/leads", body, authorization: "Bearer \(Self.globalKey)")
            #expect(response.status == .created)
            #expect(try response.json()["form_code"] as? String == "PV-001")

            body["form_id"] = "FORM-INCONNU"
            let unknown = try await post(t, "/api/v1/leads", body, authorization: "Token \(Self.globalKey)")
            #expect(unknown.status == .unprocessableEntity)
            #expect(try unknown.fieldErrors()["form_id"] != nil)
            #expect(try unknown.json()["success"] as? Bool == false)
        }
    }

    @Test func corsicanAndOverseasDepartementPrefixesGiveWayToThePostalCode() async throws {
        try await TestApp.run { t in
            _ = try await firstVersionTenant(t)
            var body = Self.oldLead
            body["code_postal"] = "20090"
            body["departement"] = "20"
            let response = try await post(t, "/api/v1/leads", body, authorization: "Token \(Self.globalKey)")
            #expect(response.status == .created)
            let id = try leadId(try response.json())
            #expect(try await Lead.find(id, on: t.db)?.departement == "2A")
        }
    }

    @Test func departementAloneIsEnoughWhenTheProductDoesNotRequireAPostalCode() async throws {
        try await TestApp.run { t in
            let tenant = try await firstVersionTenant(t)
            var body = Self.oldLead
            body.removeValue(forKey: "code_postal")
            body["departement"] = "69"
            // PV requires a postal code by default: the lead is kept, incomplete, with the error.
            let kept = try await post(t, "/api/v1/leads", body, authorization: "Token \(Self.globalKey)")
            #expect(kept.status == .created)
            #expect(try kept.json()["status"] as? String == "incomplete")
            #expect(try kept.fieldErrors()["code_postal"] != nil)
            #expect(try await Lead.find(try leadId(try kept.json()), on: t.db)?.status == "incomplete")

            tenant.productType.requiredFields = ["phone", "nom"]
            try await tenant.productType.save(on: t.db)
            body["ville"] = "Lyon"
            let accepted = try await post(t, "/api/v1/leads", body, authorization: "Token \(Self.globalKey)")
            #expect(accepted.status == .created)
            let id = try leadId(try accepted.json())
            #expect(try await Lead.find(id, on: t.db)?.departement == "69")
        }
    }

    @Test func errorsCarrySuccessFalseAndAFrenchDetail() async throws {
        try await TestApp.run { t in
            let tenant = try await firstVersionTenant(t)
            // A strict organization refuses a lead with errors, as the first version did.
            tenant.organization.intakeStrict = true
            try await tenant.organization.save(on: t.db)
            var body = Self.oldLead
            body["phone"] = "12"
            let invalid = try await post(t, "/api/v1/leads", body, authorization: "Token \(Self.globalKey)")
            #expect(invalid.status == .unprocessableEntity)
            let answer = try invalid.json()
            #expect(answer["success"] as? Bool == false)
            let detail = try #require(answer["detail"] as? String)
            #expect(detail.contains("phone"))
            #expect(try invalid.fieldErrors()["phone"] != nil)

            let badKey = try await post(t, "/api/v1/leads", Self.oldLead, authorization: "Token crm_inconnue")
            #expect(badKey.status == .unauthorized)
            #expect(try badKey.json()["success"] as? Bool == false)
            #expect((try badKey.json()["detail"] as? String)?.isEmpty == false)
        }
    }

    @Test func submitLeadTakesTheFormKeyFromTheBody() async throws {
        try await TestApp.run { t in
            let tenant = try await firstVersionTenant(t)
            var body = Self.oldLead
            body.removeValue(forKey: "form_id")
            body["api_key"] = Self.formKey
            body["form_code"] = "PV-001"
            body["register_date"] = 1_767_225_600
            let response = try await post(t, "/api/submit-lead", body)
            #expect(response.status == .created)
            let answer = try response.json()
            #expect(answer["success"] as? Bool == true)
            let id = try leadId(answer)
            let lead = try #require(try await Lead.find(id, on: t.db))
            #expect(lead.formId == tenant.form.id)
            #expect(lead.extra["api_key"] == nil && lead.extra["register_date"] == nil)
            #expect(lead.apiKeyId == nil)

            body["api_key"] = "pas-une-cle"
            let bad = try await post(t, "/api/submit-lead", body)
            #expect(bad.status == .unauthorized)
            #expect(try bad.json()["success"] as? Bool == false)

            body["api_key"] = Self.formKey
            body["form_code"] = "PAC-404"
            let mismatch = try await post(t, "/api/submit-lead", body)
            #expect(mismatch.status == .unprocessableEntity)
            #expect(try mismatch.fieldErrors()["form_code"] != nil)

            let none = try await post(t, "/api/submit-lead", ["phone": "0612485378"])
            #expect(none.status == .unauthorized)
        }
    }

    @Test func oldTrackingCallsBecomeEventsCountedInTheFunnel() async throws {
        try await TestApp.run { t in
            let tenant = try await firstVersionTenant(t)
            let visit = try await post(
                t, "/api/track/lp-visit", ["lp_code": "LP-001", "referrer": "https://www.google.fr/"])
            #expect(visit.status == .ok)
            #expect(try visit.json()["success"] as? Bool == true)
            #expect(visit.headers.first(name: .accessControlAllowOrigin) == "https://lp.alpha.example")
            let click = try await post(
                t, "/api/track/cta-click", ["lp_code": "LP-001", "form_code": "PV-001", "domain": "lp.alpha.example"])
            #expect(click.status == .ok)
            // The form page reads ?lp= and ?liaison= from its address; the liaison code alone names the LP.
            let start = try await post(
                t, "/api/track/form-start", ["form_code": "PV-001", "liaison_code": "LP-001_PV-001"])
            #expect(start.status == .ok)
            let fromQuery = try await post(t, "/api/track/form-start", ["form_code": "PV-001"], query: "?lp=LP-001")
            #expect(fromQuery.status == .ok)
            await t.app.eventIngest.flush()

            let rows = try await (t.db as! any SQLDatabase).raw(
                "SELECT type, lp_id, form_id, referrer FROM tracking_events WHERE organization_id = \(bind: tenant.organization.id!)"
            ).all()
            let types = try rows.map { try $0.decode(column: "type", as: String.self) }.sorted()
            #expect(types == ["cta_click", "form_start", "form_start", "lp_visit"])
            for row in rows where try row.decode(column: "type", as: String.self) == "form_start" {
                #expect(try row.decode(column: "lp_id", as: UUID?.self) == tenant.landingPage.id)
                #expect(try row.decode(column: "form_id", as: UUID?.self) == tenant.form.id)
            }
            let funnel = try await t.api(.GET, "/api/admin/stats/funnel?period=today", token: tenant.adminToken).json()
            #expect(funnel["visits"] as? Int == 1)
            #expect(funnel["cta_clicks"] as? Int == 1)
            #expect(funnel["form_starts"] as? Int == 2)
        }
    }

    @Test func oldTrackingCallsAnswerPreflightsAndClearErrors() async throws {
        try await TestApp.run { t in
            _ = try await firstVersionTenant(t)
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .origin, value: "https://lp.alpha.example")
            headers.replaceOrAdd(name: .accessControlRequestMethod, value: "POST")
            headers.replaceOrAdd(name: .accessControlRequestHeaders, value: "content-type")
            for path in ["/api/track/lp-visit", "/api/track/cta-click", "/api/track/form-start", "/api/submit-lead"] {
                let preflight = try await t.app.testing().performTest(
                    request: TestingHTTPRequest(
                        method: .OPTIONS, url: URI(path: path), headers: headers, body: ByteBuffer()))
                #expect(preflight.status == .noContent, "\(path)")
                #expect(preflight.headers.first(name: .accessControlAllowOrigin) == "https://lp.alpha.example")
                #expect(preflight.headers.first(name: .accessControlAllowMethods)?.contains("POST") == true)
            }
            let unknown = try await post(t, "/api/track/lp-visit", ["lp_code": "LP-999"])
            #expect(unknown.status == .notFound)
            #expect(try unknown.json()["success"] as? Bool == false)
            #expect((try unknown.json()["detail"] as? String)?.contains("LP-999") == true)
            let missing = try await post(t, "/api/track/cta-click", ["domain": "lp.alpha.example"])
            #expect(missing.status == .unprocessableEntity)
            #expect(try missing.fieldErrors()["lp_code"] != nil)
        }
    }

    @Test func firstVersionCallsReachOnlyOrganizationsThatAnswerThem() async throws {
        try await TestApp.run { t in
            // Beta has the same codes but was never switched over: its pages are not reachable.
            let beta = try await t.makeTenant("Beta")
            let visit = try await post(t, "/api/track/lp-visit", ["lp_code": "LP-001"])
            #expect(visit.status == .notFound)
            let alpha = try await firstVersionTenant(t)
            #expect(try await post(t, "/api/track/lp-visit", ["lp_code": "LP-001"]).status == .ok)
            await t.app.eventIngest.flush()
            let betaEvents = try await (t.db as! any SQLDatabase).raw(
                "SELECT COUNT(*) AS n FROM tracking_events WHERE organization_id = \(bind: beta.organization.id!)"
            ).first()!.decode(column: "n", as: Int.self)
            #expect(betaEvents == 0)
            // The global key of Alpha never names a form of Beta.
            var body = Self.oldLead
            body["form_id"] = beta.form.id!.uuidString
            let cross = try await post(t, "/api/v1/leads", body, authorization: "Token \(Self.globalKey)")
            #expect(cross.status == .unprocessableEntity)
            #expect(try await Lead.query(on: t.db).filter(\.$organizationId == beta.organization.id!).count() == 1)
            _ = alpha
        }
    }

    @Test func callsAreCountedPerPageAndTheSwitchTurnsThemOff() async throws {
        try await TestApp.run { t in
            let tenant = try await firstVersionTenant(t)
            _ = try await post(t, "/api/track/lp-visit", ["lp_code": "LP-001"])
            _ = try await post(t, "/api/track/lp-visit", ["lp_code": "LP-001"])
            _ = try await post(t, "/api/v1/leads", Self.oldLead, authorization: "Token \(Self.globalKey)")
            await t.app.v1CallCounter.flush(on: t.db as! any SQLDatabase, logger: t.app.logger)

            let usage = try await t.api(.GET, "/api/admin/v1-compat", token: tenant.adminToken)
            #expect(usage.status == .ok)
            let figures = try usage.json()
            #expect(figures["enabled"] as? Bool == true)
            #expect(figures["total_calls"] as? Int == 3)
            let pages = try #require(figures["pages"] as? [[String: Any]])
            #expect(pages.first?["page_code"] as? String == "LP-001")
            #expect(pages.first?["calls"] as? Int == 2)
            #expect(
                pages.contains { $0["endpoint"] as? String == "v1/leads" && $0["page_code"] as? String == "PV-001" })

            let admin = try await t.login(email: "admin@alpha.test")
            let page = try await t.browse(.GET, "/settings", session: admin)
            #expect(page.body.string.contains("Compatibilité première version"))
            #expect(page.body.string.contains("LP-001"))

            // A viewer may not switch it; an admin turns it off from the page; calls are then refused.
            let viewer = try await t.api(
                .PATCH, "/api/admin/v1-compat", token: tenant.viewerToken, json: ["enabled": false])
            #expect(viewer.status == .forbidden)
            let off = try await t.browse(.POST, "/settings/v1-compat", session: admin)
            #expect(off.status == .seeOther)
            #expect(try await Organization.find(tenant.organization.id, on: t.db)?.v1CompatEnabled == false)
            let refused = try await post(t, "/api/v1/leads", Self.oldLead, authorization: "Token \(Self.globalKey)")
            #expect(refused.status == .unauthorized)
            #expect((try refused.json()["detail"] as? String)?.contains("première version") == true)
            #expect(
                try await post(t, "/api/submit-lead", ["api_key": Self.formKey, "phone": "0612485378"]).status
                    == .unauthorized)
            #expect(try await post(t, "/api/track/lp-visit", ["lp_code": "LP-001"]).status == .notFound)
            // LeadHub's own keys are untouched.
            var body = Self.oldLead
            body["form_code"] = "PV-001"
            #expect(
                try await post(t, "/api/v1/leads", body, authorization: "Token \(tenant.apiKeyRaw)").status == .created)
            let entries = try await ActivityEntry.query(on: t.db).filter(\.$organizationId == tenant.organization.id!)
                .all()
            #expect(entries.contains { $0.summary.contains("Compatibilité première version désactivée") })
        }
    }
}
