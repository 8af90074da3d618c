import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

/// Hosted forms through HTTP: the builder publishes the PV template, the public page walks it
/// one request per screen (no JavaScript), partial answers are saved, the lead goes through the
/// pipeline with its consent record, a tenant is disqualified before any contact field, and
/// another organization sees none of it.
@Suite struct HostedFormsTests {
    static let browser = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile Safari"

    /// Logs in as the tenant's admin, sets the partners and publishes the PV template.
    func publish(_ t: TestApp, _ tenant: Tenant) async throws -> BrowserSession {
        let session = try await t.login(email: tenant.admin.email)
        let partners = try await t.browse(
            .POST, "/consent-partners", session: session, form: ["partners": "Solaire Rhône\nEnR Conseil\n"])
        #expect(partners.status == .seeOther, "\(partners.text)")
        let path = "/forms/\(tenant.form.id!.uuidString)/builder"
        let template = try await t.browse(
            .POST, path, session: session, form: ["action": "template", "template": "pv"])
        #expect(template.status == .seeOther)
        let builder = try await t.browse(.GET, path, session: session)
        #expect(builder.status == .ok)
        #expect(builder.text.contains("Vous habitez"))
        let published = try await t.browse(
            .POST, path, session: session,
            form: ["action": "publish", "definition": HostedFormService.encode(FormTemplates.pv)])
        #expect(published.status == .seeOther, "\(published.text)")
        return session
    }

    func get(_ t: TestApp, _ path: String) async throws -> TestingHTTPResponse {
        try await t.app.testing().performTest(
            request: TestingHTTPRequest(
                method: .GET, url: URI(path: path), headers: ["User-Agent": Self.browser], body: ByteBuffer()))
    }

    func post(_ t: TestApp, _ path: String, _ fields: [(String, String)], byScript: Bool = false) async throws
        -> TestingHTTPResponse
    {
        let body = fields.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)="
                + value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        }.joined(separator: "&")
        return try await t.app.testing().performTest(
            request: TestingHTTPRequest(
                method: .POST, url: URI(path: path),
                headers: HTTPHeaders(
                    [("User-Agent", Self.browser), ("Content-Type", "application/x-www-form-urlencoded")]
                        + (byScript ? [("X-Requested-With", "fetch")] : [])),
                body: ByteBuffer(string: body)))
    }

    /// The hidden inputs of a page (`_c.utm_source`, `_s`, `_step`).
    func hidden(_ page: String) -> [(String, String)] {
        let pattern = try! NSRegularExpression(pattern: "<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")
        return pattern.matches(in: page, range: NSRange(page.startIndex..., in: page)).map { match in
            (
                String(page[Range(match.range(at: 1), in: page)!]),
                String(page[Range(match.range(at: 2), in: page)!]).replacingOccurrences(of: "&amp;", with: "&")
            )
        }
    }

    /// Answers the screen shown at `url`; returns the next page's address.
    func answer(
        _ t: TestApp, _ url: String, _ fields: [(String, String)], status: HTTPStatus = .seeOther,
        byScript: Bool = false
    ) async throws -> (String?, TestingHTTPResponse) {
        let page = try await get(t, url)
        #expect(page.status == .ok, "\(url): \(page.text.prefix(300))")
        let action =
            "/f/\(url.split(separator: "/")[1].split(separator: "?")[0])?org="
            + (url.components(separatedBy: "org=")[1].components(separatedBy: "&")[0])
        let response = try await post(t, action, hidden(page.text) + fields, byScript: byScript)
        #expect(response.status == status, "\(url) → \(response.status): \(response.text.prefix(400))")
        return (response.headers.first(name: .location), response)
    }

    @Test func thePublishedPVTemplateIsWalkedWithoutJavaScriptAndSendsOneConsentedLead() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await publish(t, tenant)
            let code = tenant.form.code
            let start = "/f/\(code)?org=\(tenant.organization.slug)&utm_source=google&gclid=g-123"
            let first = try await get(t, start)
            #expect(first.status == .ok)
            #expect(first.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors *") == true)
            #expect(first.text.contains("<h1 id=\"hf-title\" tabindex=\"-1\">Vous habitez…</h1>"))
            #expect(first.text.contains("type=\"radio\""))
            #expect(first.text.utf8.count < 30_000)
            // Nothing stored before the first answer.
            #expect(try await FormSession.query(on: t.db).count() == 0)

            var url = start
            let steps: [[(String, String)]] = [[("type_logement", "maison")], [("statut_occupant", "proprietaire")]]
            for fields in steps {
                let (next, _) = try await answer(t, url, fields)
                url = try #require(next)
            }
            // 69530 has two communes: without a choice the screen comes back with the list.
            let (_, choose) = try await answer(t, url, [("code_postal", "69530")], status: .unprocessableEntity)
            #expect(choose.text.contains("<option>Orlienas</option>"))
            #expect(choose.text.contains("Choisissez votre commune dans la liste."))
            let (_, refused) = try await answer(t, url, [("code_postal", "6953")], status: .unprocessableEntity)
            #expect(refused.text.contains("Code postal invalide"))
            #expect(refused.text.contains("aria-invalid=\"true\""))
            #expect(refused.text.contains("role=\"alert\""))
            // The page's script gets the same error screen as a plain 200 (it swaps it in; a 422
            // would be logged as an error in the visitor's console).
            let (_, scripted) = try await answer(t, url, [("code_postal", "6953")], status: .ok, byScript: true)
            #expect(scripted.text.contains("Code postal invalide"))
            let session = try #require(try await FormSession.query(on: t.db).first())
            #expect(session.status == .inProgress && session.version == 1)
            #expect(session.answers.value(of: "statut_occupant") == "proprietaire")
            #expect(session.hidden["utm_source"] == "google")
        }
    }

    @Test func aCompletedWalkIsALeadInThePipelineWithItsConsentAndAttribution() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await publish(t, tenant)
            var url = "/f/\(tenant.form.code)?org=\(tenant.organization.slug)&utm_source=google&gclid=g-123"
            let walk: [[(String, String)]] = [
                [("type_logement", "maison")], [("statut_occupant", "proprietaire")],
                [("code_postal", "69530"), ("code_postal.commune", "Brignais")],
                [("facture_electricite", "150 à 200 € par mois")], [("orientation_toit", "sud")],
                [("delai_projet", "3_mois")],
                [("identite.civilite", "Mme"), ("identite.nom", "Martin"), ("identite.prenom", "Claire")],
                [("telephone", "06 12 34 56 78"), ("email", "claire.martin@example.fr")],
            ]
            for fields in walk {
                let (next, _) = try await answer(t, url, fields)
                url = try #require(next)
            }
            // The consent screen: both boxes unticked, the partners named.
            let consent = try await get(t, url)
            #expect(consent.text.contains("Solaire Rhône, EnR Conseil"))
            #expect(!consent.text.contains("value=\"on\" checked"))
            #expect(consent.text.contains("type=\"checkbox\""))
            let (_, missing) = try await answer(t, url, [], status: .unprocessableEntity)
            #expect(missing.text.contains("Cochez cette case"))
            let (done, _) = try await answer(t, url, [("consentement.phone", "on")])
            let thanks = try await get(t, try #require(done))
            #expect(thanks.text.contains("Merci, votre demande est bien envoyée"))
            #expect(thanks.text.contains("data-state=\"completed\""))

            let lead = try #require(try await Lead.query(on: t.db).filter(\.$nom == "Martin").first())
            #expect(lead.nom == "Martin" && lead.ville == "Brignais" && lead.codePostal == "69530")
            #expect(lead.utmSource == "google")
            #expect(lead.consentPhone && !lead.consentEmail)
            #expect(lead.consentPartnersVersion == "1")
            let text = try #require(lead.consentText)
            #expect(text.contains("Solaire Rhône, EnR Conseil"))
            #expect(lead.consentHash == Secrets.sha256Hex(text))
            #expect(lead.extraJSON.contains("\"form_version\":\"1\""))
            #expect(lead.extraJSON.contains("\"orientation_toit\":\"sud\""))
            let session = try #require(try await FormSession.query(on: t.db).first())
            #expect(session.status == .completed && session.leadId == lead.id)
            #expect(lead.visitorId == session.visitorId)

            // Posting the last screen again sends nothing more.
            let again = try await post(
                t, "/f/\(tenant.form.code)?org=\(tenant.organization.slug)",
                [("_s", session.token), ("_step", "consentement"), ("consentement.phone", "on")])
            #expect(again.status == .seeOther)
            #expect(try await Lead.query(on: t.db).filter(\.$nom == "Martin").count() == 1)

            // Events: a visit (no LP), the start and one step per screen reached, with its id.
            await t.app.eventIngest.flush()
            let sql = t.db as! any SQLDatabase
            let rows = try await sql.raw(
                "SELECT type, step, step_id FROM tracking_events WHERE form_id = \(bind: tenant.form.id!) ORDER BY step"
            ).all()
            let types = try rows.map { try $0.decode(column: "type", as: String.self) }
            #expect(types.filter { $0 == "form_start" }.count == 1)
            #expect(types.contains("lp_visit"))
            let steps = try rows.filter { try $0.decode(column: "type", as: String.self) == "form_step" }
            #expect(steps.count == 8)
            #expect(try steps.first?.decode(column: "step_id", as: String?.self) == "statut")
            #expect(try steps.last?.decode(column: "step", as: Int?.self) == 9)

            // The form's page shows the drop-off.
            let admin = try await t.login(email: tenant.admin.email)
            let formPage = try await t.browse(.GET, "/forms/\(tenant.form.id!.uuidString)", session: admin)
            #expect(formPage.text.contains("Abandons par étape"))
            #expect(formPage.text.contains("1 terminés") || formPage.text.contains("1 parcours"))
        }
    }

    @Test func theCachedFirstScreenIsTheSamePageAsAFullRendering() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await publish(t, tenant)
            let runtime = try #require(
                try await HostedFormRuntime.load(
                    slug: tenant.organization.slug, code: tenant.form.code, now: Date(), on: t.db,
                    cache: t.app.intakeCache))
            let split = try #require(runtime.firstScreen)
            let carried = ["utm_source": "google", "gclid": "a\"<b", "lh_visitor": "v1", "lh_session": "s1"]
            let full = HostedFormPage(
                runtime: runtime, definition: runtime.definition, step: try #require(runtime.definition.firstStep),
                carried: carried, action: HostedFormController.action(runtime), communes: { _ in [] })
            #expect(split.render(carried: carried) == full.render())
            #expect(split.render(carried: carried).contains("name=\"_c.gclid\" value=\"a&quot;&lt;b\""))
        }
    }

    @Test func aTenantIsToldNotEligibleAndNoLeadIsSent() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await publish(t, tenant)
            let before = try await Lead.query(on: t.db).count()
            var url = "/f/\(tenant.form.code)?org=\(tenant.organization.slug)"
            let (next, _) = try await answer(t, url, [("type_logement", "maison")])
            url = try #require(next)
            let (ending, _) = try await answer(t, url, [("statut_occupant", "locataire")])
            let page = try await get(t, try #require(ending))
            #expect(page.text.contains("Votre projet n&#39;est pas éligible"))
            #expect(page.text.contains("data-state=\"disqualified\""))
            #expect(!page.text.contains("type=\"tel\""))
            let session = try #require(try await FormSession.query(on: t.db).first())
            #expect(session.status == .disqualified)
            #expect(try await Lead.query(on: t.db).count() == before)
        }
    }

    @Test func publishingRefusesADefinitionWithProblemsAndKeepsVersionsImmutable() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await publish(t, tenant)
            let path = "/forms/\(tenant.form.id!.uuidString)/builder"
            var broken = FormTemplates.pv
            broken.steps[0].title = "Les aides de l'État pour votre maison"
            let refused = try await t.browse(
                .POST, path, session: session,
                form: ["action": "publish", "definition": HostedFormService.encode(broken)])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.text.contains("Formulation interdite"))
            let unreadable = try await t.browse(
                .POST, path, session: session, form: ["action": "save", "definition": "{\"steps\": [ {"])
            #expect(unreadable.status == .unprocessableEntity)
            #expect(unreadable.text.contains("JSON illisible"))
            var changed = FormTemplates.pv
            changed.steps[0].title = "Votre logement est…"
            let second = try await t.browse(
                .POST, path, session: session,
                form: ["action": "publish", "definition": HostedFormService.encode(changed)])
            #expect(second.status == .seeOther)
            let versions = try await HostedFormVersion.query(on: t.db).sort(\.$version).all()
            #expect(versions.map(\.version) == [1, 2])
            #expect(versions[0].definition?.steps[0].title == "Vous habitez…")
            let page = try await get(t, "/f/\(tenant.form.code)?org=\(tenant.organization.slug)")
            #expect(page.text.contains("Votre logement est…"))
            // The preview renders the draft inside the back office only.
            let preview = try await t.browse(.GET, "/forms/\(tenant.form.id!.uuidString)/preview", session: session)
            #expect(preview.status == .ok)
            #expect(preview.headers.first(name: "X-Frame-Options") == "SAMEORIGIN")
            #expect(preview.text.contains("Aperçu : rien n'est enregistré."))
            // The brief gives the iframe (with its events) and the popup instead of a form to build.
            let brief = try await t.browse(.GET, "/forms/\(tenant.form.id!.uuidString)/brief", session: session)
            #expect(brief.text.contains("Formulaire hébergé par LeadHub"))
            #expect(brief.text.contains("/f/embed.js"))
            #expect(brief.text.contains("postMessage") || brief.text.contains("addEventListener(&quot;message&quot;"))
        }
    }

    @Test func anotherOrganizationSeesNeitherTheBuilderNorTheForm() async throws {
        try await TestApp.run { t in
            let alpha = try await t.makeTenant("Alpha")
            let beta = try await t.makeTenant("Beta")
            _ = try await publish(t, alpha)
            let intruder = try await t.login(email: beta.admin.email)
            for path in ["/forms/\(alpha.form.id!.uuidString)/builder", "/forms/\(alpha.form.id!.uuidString)/preview"] {
                let response = try await t.browse(.GET, path, session: intruder)
                #expect(response.status == .notFound, "\(path)")
            }
            let wrongOrg = try await get(t, "/f/\(alpha.form.code)?org=\(beta.organization.slug)")
            #expect(wrongOrg.status == .notFound)
            let unpublished = try await get(t, "/f/\(beta.form.code)?org=\(beta.organization.slug)")
            #expect(unpublished.status == .notFound)
            let partners = try await t.browse(.GET, "/consent-partners", session: intruder)
            #expect(!partners.text.contains("Solaire Rhône"))
        }
    }

    @Test func theCommuneListAndThePopupScriptArePublic() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await publish(t, tenant)
            let communes = try await get(t, "/f/\(tenant.form.code)/communes?org=\(tenant.organization.slug)&cp=01400")
            #expect(communes.status == .ok)
            #expect(communes.text.contains("Chatillon sur Chalaronne"))
            let script = try await get(t, "/f/embed.js")
            #expect(script.status == .ok)
            #expect(script.text.contains("data-leadhub-form"))
        }
    }

    @Test func staleWalksBecomeAbandonedAndOldOnesAreDeleted() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await publish(t, tenant)
            _ = try await answer(
                t, "/f/\(tenant.form.code)?org=\(tenant.organization.slug)", [("type_logement", "maison")])
            let now = t.clock.now()
            var result = try await HostedFormService.cleanUp(app: t.app, now: now.addingTimeInterval(10 * 60))
            #expect(result.abandoned == 0)
            result = try await HostedFormService.cleanUp(app: t.app, now: now.addingTimeInterval(31 * 60))
            #expect(result.abandoned == 1)
            #expect(try await FormSession.query(on: t.db).first()?.status == .abandoned)
            result = try await HostedFormService.cleanUp(app: t.app, now: now.addingTimeInterval(31 * 86_400))
            #expect(result.deleted == 1)
        }
    }

    @Test func anAccountsOwnDomainServesTheFormWithoutTheOrgParameter() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await publish(t, tenant)
            tenant.account.domain = "solaire-alpha.fr"
            try await tenant.account.save(on: t.db)
            let page = try await t.app.testing().performTest(
                request: TestingHTTPRequest(
                    method: .GET, url: URI(path: "/f/\(tenant.form.code)"),
                    headers: ["User-Agent": Self.browser, "Host": "www.solaire-alpha.fr"], body: ByteBuffer()))
            #expect(page.status == .ok)
            #expect(page.text.contains("Vous habitez"))
            #expect(page.text.contains("action=\"/f/\(tenant.form.code)?org=\(tenant.organization.slug)\""))
            let unknown = try await t.app.testing().performTest(
                request: TestingHTTPRequest(
                    method: .GET, url: URI(path: "/f/\(tenant.form.code)"),
                    headers: ["User-Agent": Self.browser, "Host": "ailleurs.fr"], body: ByteBuffer()))
            #expect(unknown.status == .notFound)
        }
    }

    @Test func aHostedFormIsAVariantOfAFormsCampaignAndKeepsTheAssignedVisitor() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await publish(t, tenant)
            let otherForm = try await t.makeForm(
                in: tenant.id, account: tenant.account, name: "Alpha Formulaire court", product: "PV", code: "PV-002")
            let created = try await t.api(
                .POST, "/api/admin/campaigns", token: tenant.adminToken,
                json: [
                    "name": "Hébergé ou développé", "mode": "forms", "lp_id": tenant.landingPage.id!.uuidString,
                    "variants": [["form_id": tenant.form.id!.uuidString], ["form_id": otherForm.id!.uuidString]],
                ])
            #expect(created.status == .created, "\(created.text)")
            let id = try created.json()["id"] as! String
            #expect(try await t.api(.POST, "/api/admin/campaigns/\(id)/start", token: tenant.adminToken).status == .ok)
            let seed = try #require(try await Campaign.find(UUID(uuidString: id), on: t.db)).seed
            let visitor = try #require(
                (1...50).map { "visiteur\($0)" }.first {
                    CampaignAssignment.pick(seed: seed, visitorId: $0, weights: [50, 50]) == 0
                })
            let cta = try await get(t, "/r/LP-001?org=\(tenant.organization.slug)&lh_visitor=\(visitor)")
            let location = try #require(cta.headers.first(name: .location))
            let path = try #require(location.range(of: "/f/").map { String(location[$0.lowerBound...]) })
            #expect(path.hasPrefix("/f/\(tenant.form.code)?org=\(tenant.organization.slug)"))
            let (next, _) = try await answer(t, path, [("type_logement", "maison")])
            #expect(next != nil)
            let session = try #require(try await FormSession.query(on: t.db).first())
            #expect(session.visitorId == visitor)
            #expect(session.lpCode == "LP-001")
        }
    }
}
