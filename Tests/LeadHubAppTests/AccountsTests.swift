import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct AccountsTests {
    @Test func accountKeepsItsBrandingLegalTextsGtmCodesAndRedirects() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await t.api(
                .POST, "/api/admin/accounts", token: tenant.adminToken,
                json: [
                    "name": "Solaire Éco", "crm_id": tenant.crm.id!.uuidString, "domain": "Solaire-Eco.fr",
                    "product_types": ["pv", "PAC"], "logo_main_url": "https://cdn.example/logo.png",
                    "primary_color": "#F59E0B", "secondary_color": "#abc",
                    "images": [["name": "hero", "url": "https://cdn.example/hero.jpg"]],
                    "privacy_policy": "Vos données…", "legal_mentions": "SAS…", "cgu": "CGU…",
                    "gtm_head": "<script>gtm()</script>", "gtm_cta": "cta()", "gtm_conversion": "conv()",
                    "redirect_urls": [["name": "Google", "url": "https://solaire-eco.fr/merci-g"]],
                    "default_redirect_url": "https://solaire-eco.fr/merci", "notes": "VIP",
                ])
            #expect(response.status == .created)
            let body = try response.json()
            #expect(body["domain"] as? String == "solaire-eco.fr")
            #expect(body["product_types"] as? [String] == ["PV", "PAC"])
            #expect(body["primary_color"] as? String == "#f59e0b")
            #expect(body["secondary_color"] as? String == "#abc")
            #expect((body["images"] as? [[String: String]])?.first?["name"] == "hero")
            #expect((body["redirect_urls"] as? [[String: String]])?.first?["url"] == "https://solaire-eco.fr/merci-g")
            #expect(body["gtm_head"] as? String == "<script>gtm()</script>")
            #expect(body["parent_id"] is NSNull || body["parent_id"] == nil)
        }
    }

    @Test func invalidAccountReportsEveryFieldAtOnce() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await t.api(
                .POST, "/api/admin/accounts", token: tenant.adminToken,
                json: [
                    "name": "", "domain": "http://pas un domaine", "product_types": ["XYZ"], "primary_color": "rouge",
                    "logo_main_url": "logo.png", "redirect_urls": [["name": "", "url": "merci"]],
                ])
            #expect(response.status == .unprocessableEntity)
            let errors = try response.fieldErrors()
            for field in [
                "name", "crm_id", "domain", "product_types", "primary_color", "logo_main_url", "redirect_urls",
            ] {
                #expect(errors[field] != nil, "no error for \(field)")
            }
        }
    }

    @Test func subAccountFollowsItsParentsCrm() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let child = try await t.api(
                .POST, "/api/admin/accounts", token: tenant.adminToken,
                json: ["name": "Enfant", "parent_id": tenant.account.id!.uuidString])
            #expect(child.status == .created)
            #expect(try child.json()["crm_id"] as? String == tenant.crm.id!.uuidString)
            let mismatch = try await t.api(
                .POST, "/api/admin/accounts", token: tenant.adminToken,
                json: [
                    "name": "Enfant 2", "parent_id": tenant.account.id!.uuidString,
                    "crm_id": tenant.otherCrm.id!.uuidString,
                ])
            #expect(mismatch.status == .unprocessableEntity)

            let moved = try await t.api(
                .PATCH, "/api/admin/accounts/\(tenant.account.id!)", token: tenant.adminToken,
                json: ["crm_id": tenant.otherCrm.id!.uuidString])
            #expect(moved.status == .ok)
            let sub = try #require(try await Account.find(tenant.subAccount.id, on: t.db))
            #expect(sub.crmId == tenant.otherCrm.id)
        }
    }

    @Test func accountCannotBecomeItsOwnDescendant() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let loop = try await t.api(
                .PATCH, "/api/admin/accounts/\(tenant.account.id!)", token: tenant.adminToken,
                json: ["parent_id": tenant.subAccount.id!.uuidString])
            #expect(loop.status == .unprocessableEntity)
            #expect(try loop.fieldErrors()["parent_id"] != nil)
            let itself = try await t.api(
                .PATCH, "/api/admin/accounts/\(tenant.account.id!)", token: tenant.adminToken,
                json: ["parent_id": tenant.account.id!.uuidString])
            #expect(itself.status == .unprocessableEntity)
        }
    }

    @Test func accountWithSubAccountsCannotBeDeleted() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let refused = try await t.api(
                .DELETE, "/api/admin/accounts/\(tenant.account.id!)", token: tenant.adminToken)
            #expect(refused.status == .conflict)
            let sub = try await t.api(.DELETE, "/api/admin/accounts/\(tenant.subAccount.id!)", token: tenant.adminToken)
            #expect(sub.status == .noContent)
            let withForms = try await t.api(
                .DELETE, "/api/admin/accounts/\(tenant.account.id!)", token: tenant.adminToken)
            #expect(withForms.status == .conflict)
            #expect(try withForms.json()["error"] as? String != nil)
            _ = try await t.api(.DELETE, "/api/admin/lps/\(tenant.landingPage.id!)", token: tenant.adminToken)
            // "Supprimer" a lead archives it: its form, and so the account, stay.
            _ = try await t.api(.DELETE, "/api/admin/leads/\(tenant.lead.id!)", token: tenant.adminToken)
            #expect(
                try await t.api(.DELETE, "/api/admin/forms/\(tenant.form.id!)", token: tenant.adminToken).status
                    == .conflict)
            #expect(
                try await t.api(.DELETE, "/api/admin/accounts/\(tenant.account.id!)", token: tenant.adminToken).status
                    == .conflict)
            // An account whose forms never received a lead can go.
            let empty = try await t.makeAccount(in: tenant.id, crm: tenant.crm, name: "Compte vide")
            _ = try await t.makeForm(in: tenant.id, account: empty, name: "Sans leads", product: "PV", code: "PV-077")
            let form = try #require(try await Form.query(on: t.db).filter(\.$code == "PV-077").first())
            #expect(
                try await t.api(.DELETE, "/api/admin/forms/\(form.id!)", token: tenant.adminToken).status == .noContent)
            let parent = try await t.api(.DELETE, "/api/admin/accounts/\(empty.id!)", token: tenant.adminToken)
            #expect(parent.status == .noContent)
        }
    }

    @Test func accountFormSavesCheckboxesAndTextareaLinks() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let response = try await t.browse(
                .POST, "/accounts/\(tenant.account.id!)", session: session,
                form: [
                    "name": "Compte renommé", "crm_id": tenant.crm.id!.uuidString, "parent_id": "",
                    "product_types[]": "ITE", "redirect_urls": "Google = https://a.fr/g\nTaboola = https://a.fr/t",
                    "primary_color": "#112233",
                ])
            #expect(response.status == .seeOther)
            let saved = try #require(try await Account.find(tenant.account.id, on: t.db))
            #expect(saved.name == "Compte renommé")
            #expect(saved.productTypes == ["ITE"])
            #expect(saved.redirectURLs.map(\.name) == ["Google", "Taboola"])
            let page = try await t.browse(.GET, "/accounts/\(tenant.account.id!)", session: session).text
            #expect(page.contains("Google = https://a.fr/g"))
        }
    }

    @Test func accountFormShowsErrorsWithTheTypedValues() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let response = try await t.browse(
                .POST, "/accounts", session: session,
                form: ["name": "Mon compte", "crm_id": "", "domain": "mauvais domaine", "gtm_cta": "cta()"])
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("value=\"Mon compte\""))
            #expect(
                response.text.contains("Choisissez le CRM d&#39;origine du compte.")
                    || response.text.contains("Choisissez le CRM d'origine"))
            #expect(response.text.contains("cta()"))
        }
    }
}

@Suite struct CatalogTests {
    @Test func newOrganizationHasPVPACAndITE() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let items = try await t.api(.GET, "/api/admin/product-types", token: tenant.adminToken).items()
            #expect(Set(items.compactMap { $0["code"] as? String }) == ["PV", "PAC", "ITE"])
            let pac = try #require(items.first { $0["code"] as? String == "PAC" })
            #expect((pac["aids"] as? [String])?.contains("MaPrimeRénov'") == true)
            #expect((pac["required_fields"] as? [String])?.first == "phone")
        }
    }

    @Test func productTypeCodeIsCheckedAndUnique() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let bad = try await t.api(
                .POST, "/api/admin/product-types", token: tenant.adminToken, json: ["code": "p v", "label": "X"])
            #expect(bad.status == .unprocessableEntity)
            let duplicate = try await t.api(
                .POST, "/api/admin/product-types", token: tenant.adminToken, json: ["code": "PV", "label": "X"])
            #expect(duplicate.status == .conflict)
            let created = try await t.api(
                .POST, "/api/admin/product-types", token: tenant.adminToken,
                json: ["code": "ba", "label": "Ballon thermodynamique", "required_fields": ["email", "code_postal"]])
            #expect(created.status == .created)
            #expect(try created.json()["code"] as? String == "BA")
            #expect(try created.json()["required_fields"] as? [String] == ["phone", "email", "code_postal"])
            let unknownField = try await t.api(
                .POST, "/api/admin/product-types", token: tenant.adminToken,
                json: ["code": "BB", "label": "X", "required_fields": ["age_du_capitaine"]])
            #expect(try unknownField.fieldErrors()["required_fields"] != nil)
        }
    }

    @Test func productTypeOfferedByAnAccountCannotBeDeleted() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let refused = try await t.api(
                .DELETE, "/api/admin/product-types/\(tenant.productType.id!)", token: tenant.adminToken)
            #expect(refused.status == .conflict)
            let patched = try await t.api(
                .PATCH, "/api/admin/product-types/\(tenant.productType.id!)", token: tenant.adminToken,
                json: ["active": false])
            #expect(try patched.json()["active"] as? Bool == false)
        }
    }

    @Test func diffusionSourcesHaveACategoryAndUniqueNames() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let created = try await t.api(
                .POST, "/api/admin/diffusion-sources", token: tenant.adminToken,
                json: ["name": "Google Ads", "category": "google"])
            #expect(created.status == .created)
            #expect(try created.json()["active"] as? Bool == true)
            let again = try await t.api(
                .POST, "/api/admin/diffusion-sources", token: tenant.adminToken, json: ["name": "Google Ads"])
            #expect(again.status == .conflict)
            let badCategory = try await t.api(
                .POST, "/api/admin/diffusion-sources", token: tenant.adminToken,
                json: ["name": "Snap", "category": "snapchat"])
            #expect(try badCategory.fieldErrors()["category"] != nil)
        }
    }

    @Test func uncheckingActiveOnTheSourceFormDeactivatesIt() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let response = try await t.browse(
                .POST, "/diffusion-sources/\(tenant.source.id!)", session: session,
                form: ["name": tenant.source.name, "category": "google"])
            #expect(response.status == .seeOther)
            let saved = try #require(try await DiffusionSource.find(tenant.source.id, on: t.db))
            #expect(saved.active == false)
            #expect(saved.categoryRaw == "google")
        }
    }
}
