import Fluent
import Foundation
import LeadHubCore
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct BriefPagesTests {
    @Test func theFormBriefIsDownloadableAsMarkdownHTMLAndJSONFromTheCurrentConfiguration() async throws {
        try await TestApp.run { t in
            let alpha = try await t.makeTenant("Alpha")
            alpha.account.gtmHead = "<!-- pixel Alpha -->"
            alpha.account.gtmConversion = "<!-- conversion Alpha -->"
            try await alpha.account.save(on: t.db)
            let path = "/api/admin/forms/\(alpha.form.id!)/brief"

            let markdown = try await t.api(.GET, path, token: alpha.adminToken)
            #expect(markdown.status == .ok)
            #expect(markdown.headers.first(name: .contentType) == "text/markdown; charset=utf-8")
            #expect(markdown.headers.first(name: .contentDisposition) == "attachment; filename=\"brief-PV-001.md\"")
            let text = markdown.text
            #expect(text.hasPrefix("# Brief d'intégration — formulaire PV-001"))
            #expect(
                text.contains(
                    "data-org=\"\(alpha.organization.slug)\" data-form=\"PV-001\" data-form-key=\"\(alpha.form.formKey)\""
                ))
            #expect(text.contains("/t.js?v=\(t.app.trackerScript.version)"))
            #expect(text.contains("<!-- pixel Alpha -->"))
            #expect(text.contains("<!-- conversion Alpha -->"))
            // The account's identity and legal texts: missing ones are said.
            #expect(text.contains("## Identité du compte et textes"))
            #expect(
                text.contains(
                    "Le compte Alpha Compte Un n'a pas de politique de confidentialité ni de mentions légales"))
            alpha.account.privacyPolicy = "Politique Alpha : vos données servent à vous rappeler."
            alpha.account.primaryColor = "#123456"
            try await alpha.account.save(on: t.db)
            let withTexts = try await t.api(.GET, path, token: alpha.adminToken).text
            #expect(withTexts.contains("Politique Alpha : vos données servent à vous rappeler."))
            #expect(withTexts.contains("| Couleur principale | `#123456` |"))
            #expect(withTexts.contains("Accroche des aides"))
            // The PV product's required fields, from its product type.
            for field in alpha.productType.requiredFields { #expect(text.contains("| `\(field)` |")) }

            // Always generated from the current configuration.
            alpha.form.thankYouURL = "https://alpha.example/merci-nouveau"
            try await alpha.form.save(on: t.db)
            #expect(
                try await t.api(.GET, path, token: alpha.adminToken).text.contains(
                    "https://alpha.example/merci-nouveau"))

            let html = try await t.api(.GET, path + "?format=html", token: alpha.adminToken)
            #expect(html.headers.first(name: .contentType) == "text/html; charset=utf-8")
            #expect(html.headers.first(name: .contentDisposition) == "attachment; filename=\"brief-PV-001.html\"")
            #expect(html.text.hasPrefix("<!doctype html>\n<html lang=\"fr\">"))
            #expect(html.text.contains("&lt;!-- pixel Alpha --&gt;"))

            let json = try await t.api(.GET, path + "?format=json", token: alpha.adminToken).json()
            #expect(json["title"] as? String == "Brief d'intégration — formulaire PV-001")
            #expect((json["markdown"] as? String)?.contains("## Liste de contrôle") == true)

            let badFormat = try await t.api(.GET, path + "?format=pdf", token: alpha.adminToken)
            #expect(badFormat.status == .unprocessableEntity)
            #expect(try badFormat.fieldErrors()["format"] != nil)
            let badMode = try await t.api(.GET, path + "?mode=integrated", token: alpha.adminToken)
            #expect(badMode.status == .unprocessableEntity)
            #expect(try badMode.fieldErrors()["mode"]?.first?.contains("landing page et un formulaire") == true)
        }
    }

    @Test func aLandingPageBriefPairsWithItsLinkedFormUnlessToldOtherwise() async throws {
        try await TestApp.run { t in
            let alpha = try await t.makeTenant("Alpha")
            let path = "/api/admin/lps/\(alpha.landingPage.id!)/brief"
            let pair = try await t.api(.GET, path, token: alpha.adminToken)
            #expect(pair.headers.first(name: .contentDisposition) == "attachment; filename=\"brief-LP-001-PV-001.md\"")
            #expect(pair.text.contains("data-lp=\"LP-001\" async>"))
            #expect(pair.text.contains("data-form=\"PV-001\""))
            #expect(pair.text.contains("<a href=\"\(alpha.form.url!)\" data-leadhub-cta>"))

            let integrated = try await t.api(.GET, path + "?mode=integrated", token: alpha.adminToken)
            #expect(
                integrated.text.contains(
                    "data-lp=\"LP-001\" data-form=\"PV-001\" data-form-key=\"\(alpha.form.formKey)\""))
            #expect(integrated.text.contains("<a href=\"#leadhub-form\" data-leadhub-cta>"))

            // A landing page whose form is inside it: integrated unless asked otherwise.
            alpha.landingPage.kind = .integrated
            try await alpha.landingPage.save(on: t.db)
            #expect(
                try await t.api(.GET, path, token: alpha.adminToken).text.contains(
                    "<a href=\"#leadhub-form\" data-leadhub-cta>"))
            #expect(
                try await t.api(.GET, path + "?mode=separate", token: alpha.adminToken).text.contains(
                    "data-lp=\"LP-001\" async>"))

            let alone = try await t.api(.GET, path + "?form_id=none", token: alpha.adminToken)
            #expect(alone.headers.first(name: .contentDisposition) == "attachment; filename=\"brief-LP-001.md\"")
            #expect(!alone.text.contains("data-form-key"))

            // From the form's side, the pair is asked for with lp_id.
            let fromForm = try await t.api(
                .GET, "/api/admin/forms/\(alpha.form.id!)/brief?lp_id=\(alpha.landingPage.id!)&mode=integrated",
                token: alpha.adminToken)
            #expect(fromForm.status == .ok)
            #expect(fromForm.text.hasPrefix("# Brief d'intégration — LP-001 + PV-001"))
        }
    }

    @Test func anotherOrganizationsPageCannotBePairedNorRead() async throws {
        try await TestApp.run { t in
            let alpha = try await t.makeTenant("Alpha")
            let bravo = try await t.makeTenant("Bravo")
            let paired = try await t.api(
                .GET, "/api/admin/forms/\(bravo.form.id!)/brief?lp_id=\(alpha.landingPage.id!)", token: bravo.adminToken
            )
            #expect(paired.status == .unprocessableEntity)
            #expect(try paired.fieldErrors()["lp_id"] == ["Landing page introuvable."])
            #expect(!paired.text.contains(alpha.landingPage.name))
            let other = try await t.api(
                .GET, "/api/admin/lps/\(bravo.landingPage.id!)/brief?form_id=\(alpha.form.id!)", token: bravo.adminToken
            )
            #expect(other.status == .unprocessableEntity)
            #expect(!other.text.contains(alpha.form.formKey))
            for path in [
                "/api/admin/forms/\(alpha.form.id!)/brief", "/api/admin/lps/\(alpha.landingPage.id!)/integration-check",
            ] {
                #expect(try await t.api(.GET, path, token: bravo.adminToken).status == .notFound)
            }
        }
    }

    @Test func aUserLimitedToSomeAccountsSeesNeitherTheFormsNorTheLeadsOfOthers() async throws {
        try await TestApp.run { t in
            let alpha = try await t.makeTenant("Alpha")
            // An LP of the second account, linked to the first account's form.
            alpha.landingPage.accountId = alpha.otherAccount.id!
            try await alpha.landingPage.save(on: t.db)
            let (_, token) = try await t.makeUser(
                in: alpha.id, role: .viewer, email: "limite@alpha.test", accountIds: [alpha.otherAccount.id!])
            let brief = try await t.api(.GET, "/api/admin/lps/\(alpha.landingPage.id!)/brief", token: token)
            #expect(brief.status == .ok)
            #expect(!brief.text.contains(alpha.form.formKey))
            #expect(!brief.text.contains("PV-001"))
            #expect(try await t.api(.GET, "/api/admin/forms/\(alpha.form.id!)/brief", token: token).status == .notFound)
            let check = try await t.api(
                .GET, "/api/admin/lps/\(alpha.landingPage.id!)/integration-check?form_id=none", token: token
            ).json()
            #expect((check["leads"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func theBriefPageHasCopyButtonsDownloadsPrintAndTheLiveCheck() async throws {
        try await TestApp.run { t in
            let alpha = try await t.makeTenant("Alpha")
            let session = try await t.login(email: alpha.admin.email)
            let base = "/landing-pages/\(alpha.landingPage.id!)/brief"
            let page = try await t.browse(.GET, base, session: session)
            #expect(page.status == .ok)
            let html = page.text
            #expect(html.contains("<h1>Brief d&#39;intégration — LP-001 + PV-001</h1>"))
            #expect(html.contains(##"data-copy="#tag-script-lp">Copier</button>"##))
            #expect(html.contains("\(base)/download?format=markdown&amp;mode=separate&amp;form_id=\(alpha.form.id!)"))
            #expect(html.contains("data-print"))
            #expect(html.contains("0 visites, 0 clics CTA, 0 démarrages, 1 leads"))
            #expect(html.contains("<h2>Vérifier l'intégration</h2>"))
            #expect(html.contains("data-check-url=\"\(base)/check?"))
            #expect(html.contains("name=\"mode\" value=\"integrated\""))
            // The LP's edit page links to it.
            #expect(
                try await t.browse(.GET, "/landing-pages/\(alpha.landingPage.id!)", session: session).text.contains(
                    "\(base)\""))

            // The pair removed with "integrated" still checked: the page shows the separate brief.
            let alone = try await t.browse(.GET, base + "?form_id=none&mode=integrated", session: session)
            #expect(alone.status == .ok)
            #expect(alone.text.contains("<h1>Brief d&#39;intégration — landing page LP-001</h1>"))

            let download = try await t.browse(.GET, base + "/download?format=html&mode=integrated", session: session)
            #expect(download.status == .ok)
            #expect(
                download.headers.first(name: .contentDisposition) == "attachment; filename=\"brief-LP-001-PV-001.html\""
            )

            // Account codes and names are the customer's text: shown, never run.
            alpha.account.gtmHead = "<script>alert('pixel')</script>"
            try await alpha.account.save(on: t.db)
            let escaped = try await t.browse(.GET, base, session: session).text
            #expect(!escaped.contains("<script>alert('pixel')</script>"))
            #expect(escaped.contains("&lt;script&gt;alert(&#39;pixel&#39;)&lt;/script&gt;"))

            let check = try await t.browse(.GET, base + "/check", session: session)
            #expect(check.status == .ok)
            let json = try check.json()
            #expect(json["ok"] as? Bool == false)
            #expect(json["counts"] is [String: Any])
            let missing = try #require(json["missing"] as? [String])
            #expect(missing.contains { $0.hasPrefix("Aucune visite (lp_visit) reçue sur 7 jours pour LP-001") })
        }
    }

    @Test func verifyingTheIntegrationShowsWhatArrivedAndWhatIsMissing() async throws {
        try await TestApp.run { t in
            let alpha = try await t.makeTenant("Alpha")
            let check = "/api/admin/lps/\(alpha.landingPage.id!)/integration-check"
            // Nothing arrived yet: no visit, no form start; the fixture's lead came without session or LP.
            let before = try await t.api(.GET, check, token: alpha.adminToken).json()
            #expect(before["ok"] as? Bool == false)
            let missing = try #require(before["missing"] as? [String])
            #expect(missing.contains { $0.hasPrefix("Aucune visite (`lp_visit`) reçue sur 7 jours pour LP-001") })
            #expect(missing.contains { $0.hasPrefix("1 des 1 derniers leads sont arrivés sans session") })
            #expect(missing.contains { $0.hasPrefix("1 des 1 derniers leads n'ont pas de landing page") })

            // A visitor's whole path: visit, click, start, then a lead sent as LeadHub.submit sends it.
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .userAgent, value: TrackingTests.browser)
            headers.replaceOrAdd(name: .contentType, value: "text/plain")
            let events: [String: Any] = [
                "org": alpha.organization.slug,
                "events": [
                    [
                        "type": "lp_visit", "lp_code": "LP-001", "session_id": "sess-1", "utm_source": "google",
                        "url": "https://alpha.example/lp",
                    ],
                    ["type": "cta_click", "lp_code": "LP-001", "session_id": "sess-1"],
                    ["type": "form_start", "lp_code": "LP-001", "form_code": "PV-001", "session_id": "sess-1"],
                ],
            ]
            let posted = try await t.app.testing().performTest(
                request: TestingHTTPRequest(
                    method: .POST, url: URI(path: "/api/v1/events"), headers: headers,
                    body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: events))))
            #expect(posted.status == .accepted)
            await t.app.eventIngest.flush()
            var leadHeaders = HTTPHeaders()
            leadHeaders.replaceOrAdd(name: .authorization, value: "Token \(alpha.form.formKey)")
            let lead = try await t.api(
                .POST, "/api/v1/leads",
                json: [
                    "phone": "06 11 22 33 44", "nom": "Martin", "code_postal": "69003",
                    "statut_occupant": "proprietaire",
                    "type_logement": "maison", "lp_code": "LP-001", "session_id": "sess-1", "utm_source": "google",
                ], headers: leadHeaders)
            #expect(lead.status == .created)

            let after = try await t.api(.GET, check, token: alpha.adminToken).json()
            let counts = try #require(after["counts"] as? [String: Int])
            #expect(counts == ["visits": 1, "cta_clicks": 1, "form_starts": 1, "leads": 2])
            let listed = try #require(after["events"] as? [[String: Any]])
            #expect(Set(listed.compactMap { $0["type"] as? String }) == ["lp_visit", "cta_click", "form_start"])
            #expect(listed.allSatisfy { $0["lp_code"] as? String == "LP-001" })
            let leads = try #require(after["leads"] as? [[String: Any]])
            #expect(leads.count == 2)
            #expect(leads.first?["lp_code"] as? String == "LP-001")
            #expect(leads.first?["session_id"] as? String == "sess-1")
            #expect(leads.first?["phone"] as? String != "+33611223344")  // masked
            // What is left: only the fixture's old lead, without session nor landing page.
            let left = try #require(after["missing"] as? [String])
            #expect(left.count == 2)
            #expect(left.allSatisfy { $0.hasPrefix("1 des 2 derniers leads") })
        }
    }
}
