import Fluent
import Foundation
import LeadHubCore
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct FormsAndLandingPagesTests {
    @Test func formsGetCodesFromTheirProductAndAPublishableKey() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let created = try await t.api(
                .POST, "/api/admin/forms", token: tenant.editorToken,
                json: ["account_id": tenant.account.id!.uuidString, "product_type": "pv", "name": "PV été"])
            #expect(created.status == .created)
            let body = try created.json()
            #expect(body["code"] as? String == "PV-002")
            #expect((body["form_key"] as? String)?.hasPrefix("lhf_") == true)
            #expect(body["tracking_type"] as? String == "gtm")
            let pac = try await t.api(
                .POST, "/api/admin/forms", token: tenant.editorToken,
                json: ["account_id": tenant.account.id!.uuidString, "product_type": "PAC", "name": "PAC"])
            #expect(try pac.json()["code"] as? String == "PAC-001")
            let missing = try await t.api(.POST, "/api/admin/forms", token: tenant.editorToken, json: ["name": "X"])
            #expect(missing.status == .unprocessableEntity)
            #expect(Set(try missing.fieldErrors().keys).isSuperset(of: ["account_id", "product_type"]))
            let taken = try await t.api(
                .POST, "/api/admin/forms", token: tenant.editorToken,
                json: [
                    "account_id": tenant.account.id!.uuidString, "product_type": "PV", "name": "X", "code": "PV-001",
                ])
            #expect(taken.status == .conflict)
        }
    }

    @Test func regeneratingTheFormKeyRetiresTheOldOne() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let old = tenant.form.formKey
            let response = try await t.api(
                .POST, "/api/admin/forms/\(tenant.form.id!)/regenerate-key", token: tenant.editorToken)
            let fresh = try #require(try response.json()["form_key"] as? String)
            #expect(fresh != old)
            let lead: [String: Any] = [
                "phone": "0612485378", "nom": "X", "code_postal": "75008", "statut_occupant": "proprietaire",
                "type_logement": "maison",
            ]
            let refused = try await t.api(
                .POST, "/api/v1/leads", json: lead, headers: ["Authorization": "Token \(old)"])
            #expect(refused.status == .unauthorized)
            let accepted = try await t.api(
                .POST, "/api/v1/leads", json: lead, headers: ["Authorization": "Token \(fresh)"])
            #expect(accepted.status == .created)
        }
    }

    @Test func duplicateArchiveAndDeleteAForm() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let copy = try await t.api(
                .POST, "/api/admin/forms/\(tenant.form.id!)/duplicate", token: tenant.editorToken)
            #expect(copy.status == .created)
            let body = try copy.json()
            #expect(body["code"] as? String == "PV-002")
            #expect(body["name"] as? String == "Alpha Formulaire (copie)")
            #expect(body["form_key"] as? String != tenant.form.formKey)
            let copyId = try #require(body["id"] as? String)
            let archived = try await t.api(.POST, "/api/admin/forms/\(copyId)/archive", token: tenant.editorToken)
            #expect(try archived.json()["status"] as? String == "archived")
            #expect(
                try await t.api(.DELETE, "/api/admin/forms/\(copyId)", token: tenant.editorToken).status == .noContent)
            let withLeads = try await t.api(.DELETE, "/api/admin/forms/\(tenant.form.id!)", token: tenant.editorToken)
            #expect(withLeads.status == .conflict)
        }
    }

    @Test func formLinksLandingPagesAndLandingPagesCarryTheFormURL() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let lp = try await t.api(
                .POST, "/api/admin/lps", token: tenant.editorToken,
                json: [
                    "account_id": tenant.account.id!.uuidString, "name": "LP Google", "url": "https://a.example/lp2",
                    "diffusion_source_id": tenant.source.id!.uuidString, "kind": "integrated",
                ])
            #expect(lp.status == .created)
            let lpBody = try lp.json()
            #expect(lpBody["code"] as? String == "LP-002")
            let lpId = try #require(lpBody["id"] as? String)
            let form = try await t.api(
                .PATCH, "/api/admin/forms/\(tenant.form.id!)", token: tenant.editorToken,
                json: ["landing_page_ids": [lpId]])
            #expect(try form.json()["landing_page_ids"] as? [String] == [lpId])
            let shown = try await t.api(.GET, "/api/admin/lps/\(lpId)", token: tenant.editorToken).json()
            #expect(shown["form_id"] as? String == tenant.form.id!.uuidString)
            #expect(shown["form_url"] as? String == tenant.form.url)
            // The first LP, no longer in the list, is unlinked.
            #expect(try await LandingPage.find(tenant.landingPage.id, on: t.db)?.formId == nil)
            let filtered = try await t.api(
                .GET, "/api/admin/lps?diffusion_source_id=\(tenant.source.id!)", token: tenant.editorToken
            ).items()
            #expect(filtered.count == 2)
        }
    }

    @Test func commentsThreadOnFormsAndLandingPages() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let added = try await t.api(
                .POST, "/api/admin/lps/\(tenant.landingPage.id!)/comments", token: tenant.editorToken,
                json: ["body": "Nouveau visuel en ligne"])
            #expect(added.status == .created)
            let list = try await t.api(
                .GET, "/api/admin/lps/\(tenant.landingPage.id!)/comments", token: tenant.viewerToken)
            #expect(try list.items().compactMap { $0["body"] as? String } == ["Nouveau visuel en ligne"])
            let empty = try await t.api(
                .POST, "/api/admin/forms/\(tenant.form.id!)/comments", token: tenant.editorToken, json: ["body": " "])
            #expect(empty.status == .unprocessableEntity)
            let viewer = try await t.api(
                .POST, "/api/admin/forms/\(tenant.form.id!)/comments", token: tenant.viewerToken, json: ["body": "x"])
            #expect(viewer.status == .forbidden)
            let commentId = try #require(try added.json()["id"] as? String)
            let editorOther = try await t.api(
                .DELETE, "/api/admin/comments/\(tenant.comment.id!)", token: tenant.editorToken)
            #expect(editorOther.status == .forbidden)
            #expect(
                try await t.api(.DELETE, "/api/admin/comments/\(commentId)", token: tenant.editorToken).status
                    == .noContent)
        }
    }

    @Test func formPageCreatesAFormAndShowsItsKeyAndComments() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let invalid = try await t.browse(.POST, "/forms", session: session, form: ["name": "Formulaire ITE"])
            #expect(invalid.status == .unprocessableEntity)
            #expect(invalid.text.contains("value=\"Formulaire ITE\""))
            let created = try await t.browse(
                .POST, "/forms", session: session,
                form: [
                    "name": "Formulaire ITE", "account_id": tenant.account.id!.uuidString, "product_type": "ITE",
                    "metropolitan_only": "true", "landing_page_ids[]": tenant.landingPage.id!.uuidString,
                ])
            #expect(created.status == .seeOther)
            let location = try #require(created.headers.first(name: .location))
            let page = try await t.browse(.GET, location, session: session)
            #expect(page.text.contains("ITE-001"))
            #expect(page.text.contains("lhf_"))
            let form = try #require(try await Form.query(on: t.db).filter(\.$code == "ITE-001").first())
            #expect(form.metropolitanOnly && !form.excludeFromRouting)
            #expect(try await LandingPage.find(tenant.landingPage.id, on: t.db)?.formId == form.id)
            let commented = try await t.browse(
                .POST, location + "/comments", session: session, form: ["body": "Validé par le client"])
            #expect(commented.status == .seeOther)
            #expect(try await t.browse(.GET, location, session: session).text.contains("Validé par le client"))
            let archived = try await t.browse(
                .POST, location + "/actions", session: session, form: ["action": "archive"])
            #expect(archived.status == .seeOther)
            #expect(try await Form.find(form.id, on: t.db)?.status == .archived)
        }
    }

    @Test func cardsListFiltersAndShowsLeadCounts() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let forms = try await t.browse(.GET, "/forms", session: session).text
            #expect(forms.contains("Alpha Formulaire"))
            // The fixture's lead, counted on its form's card for the default period (7 days).
            #expect(forms.contains("<strong>1</strong> leads"))
            let none = try await t.browse(.GET, "/forms?product_type=PAC", session: session).text
            #expect(none.contains("Rien ne correspond"))
            let lps = try await t.browse(
                .GET, "/landing-pages?diffusion_source_id=\(tenant.source.id!)", session: session
            ).text
            #expect(lps.contains("Alpha Landing"))
        }
    }
}

@Suite struct ApiKeyTests {
    @Test func adminCreatesAKeyShownOnceAndRevokesIt() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let created = try await t.api(
                .POST, "/api/admin/api-keys", token: tenant.adminToken, json: ["name": "Landbot"])
            #expect(created.status == .created)
            let body = try created.json()
            let key = try #require(body["key"] as? String)
            #expect(key.hasPrefix("lhk_"))
            #expect(key.hasPrefix(try #require(body["prefix"] as? String)))
            let listed = try await t.api(.GET, "/api/admin/api-keys", token: tenant.adminToken).items()
            #expect(listed.allSatisfy { $0["key"] == nil || $0["key"] is NSNull })
            #expect(
                try await ApiKeyService.list(scope: TenantScope.make(user: tenant.admin, on: t.db, ip: nil), on: t.db)
                    .allSatisfy { $0.keyHash != key })
            let editor = try await t.api(.POST, "/api/admin/api-keys", token: tenant.editorToken, json: ["name": "x"])
            #expect(editor.status == .forbidden)
            let id = try #require(body["id"] as? String)
            #expect(
                try await t.api(.DELETE, "/api/admin/api-keys/\(id)", token: tenant.adminToken).status == .noContent)
            let log = try await ActivityEntry.query(on: t.db).filter(\.$objectType == "api_key").all().map(\.action)
            #expect(log.sorted() == ["token_created", "token_revoked"])
        }
    }
}

@Suite struct SettingsApiKeysPageTests {
    @Test func settingsPageCreatesAndRevokesOrganizationKeys() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let created = try await t.browse(.POST, "/settings/api-keys", session: session, form: ["name": "Landbot"])
            #expect(created.status == .ok)
            let key = String(try #require(created.text.firstMatch(of: /lhk_[A-Za-z0-9_-]{40,}/)).output)
            let lead: [String: Any] = [
                "form_code": "PV-001", "phone": "0612485378", "nom": "X", "code_postal": "75008",
                "statut_occupant": "proprietaire", "type_logement": "maison",
            ]
            #expect(
                try await t.api(.POST, "/api/v1/leads", json: lead, headers: ["Authorization": "Token \(key)"]).status
                    == .created)
            let row = try #require(try await OrganizationApiKey.query(on: t.db).filter(\.$name == "Landbot").first())
            let revoked = try await t.browse(.POST, "/settings/api-keys/\(row.id!)/revoke", session: session)
            #expect(revoked.status == .seeOther)
            #expect(
                try await t.api(.POST, "/api/v1/leads", json: lead, headers: ["Authorization": "Token \(key)"]).status
                    == .unauthorized)
            let editor = try await t.login(email: "editor@alpha.test")
            #expect(!(try await t.browse(.GET, "/settings", session: editor).text.contains("Clés API de l")))
        }
    }

    @Test func aFormWithLeadsKeepsItsCodeAndItsCrmToken() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let path = "/api/admin/forms/\(tenant.form.id!)"
            // Without leads a form may still change both.
            let fresh = try await t.makeForm(
                in: tenant.id, account: tenant.account, name: "Neuf", product: "PV", code: "PV-050")
            let renamed = try await t.api(
                .PATCH, "/api/admin/forms/\(fresh.id!)", token: tenant.editorToken,
                json: ["code": "PV-051", "crm_token": "tok-1"])
            #expect(renamed.status == .ok)
            #expect(
                try await t.api(
                    .PATCH, "/api/admin/forms/\(fresh.id!)", token: tenant.editorToken, json: ["crm_token": "tok-2"]
                ).status == .ok)

            // The fixture form has a lead: its token is set once, then neither code nor token moves.
            #expect(
                try await t.api(.PATCH, path, token: tenant.editorToken, json: ["crm_token": "tok-a"]).status == .ok)
            let code = try await t.api(.PATCH, path, token: tenant.editorToken, json: ["code": "PV-099"])
            #expect(code.status == .unprocessableEntity)
            #expect(try code.fieldErrors()["code"]?.first?.contains("déjà reçu des leads") == true)
            let token = try await t.api(.PATCH, path, token: tenant.editorToken, json: ["crm_token": "tok-b"])
            #expect(token.status == .unprocessableEntity)
            #expect(try token.fieldErrors()["crm_token"] != nil)
            let cleared = try await t.api(.PATCH, path, token: tenant.editorToken, json: ["crm_token": ""])
            #expect(cleared.status == .unprocessableEntity)
            // The same values again are not a change; other fields still save.
            let same = try await t.api(
                .PATCH, path, token: tenant.editorToken,
                json: ["code": "PV-001", "crm_token": "tok-a", "name": "Renommé"])
            #expect(same.status == .ok)
            let form = try #require(try await Form.find(tenant.form.id, on: t.db))
            #expect(form.code == "PV-001" && form.name == "Renommé")
            #expect(try t.app.secretBox.open(form.crmTokenSealed!) == "tok-a")
        }
    }
}
