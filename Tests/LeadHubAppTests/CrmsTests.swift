import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct CrmsTests {
    @Test func adminCreatesReadsUpdatesAndDeletesACrm() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let created = try await t.api(
                .POST, "/api/admin/crms", token: tenant.adminToken,
                json: ["name": "Maison du Lead", "api_url": "https://mdl.example/lead/api/create_lead/"])
            #expect(created.status == .created)
            let body = try created.json()
            let id = try #require(body["id"] as? String)
            #expect(body["slug"] as? String == "maison-du-lead")
            #expect(body["organization_id"] as? String == tenant.id.uuidString)

            let patched = try await t.api(
                .PATCH, "/api/admin/crms/\(id)", token: tenant.adminToken, json: ["description": "Achète l'ITE"])
            #expect(patched.status == .ok)
            #expect(try patched.json()["description"] as? String == "Achète l'ITE")
            #expect(try patched.json()["api_url"] as? String == "https://mdl.example/lead/api/create_lead/")

            let cleared = try await t.api(
                .PATCH, "/api/admin/crms/\(id)", token: tenant.adminToken, json: ["api_url": NSNull()])
            #expect(try cleared.json()["api_url"] == nil || cleared.json()["api_url"] is NSNull)

            let shown = try await t.api(.GET, "/api/admin/crms/\(id)", token: tenant.adminToken)
            #expect(try shown.json()["name"] as? String == "Maison du Lead")

            let deleted = try await t.api(.DELETE, "/api/admin/crms/\(id)", token: tenant.adminToken)
            #expect(deleted.status == .noContent)
            #expect(try await t.api(.GET, "/api/admin/crms/\(id)", token: tenant.adminToken).status == .notFound)
            let log = try await ActivityEntry.query(on: t.db).filter(\.$objectType == "crm").all().map(\.action)
            #expect(Set(log) == ["create", "update", "delete"])
        }
    }

    @Test func invalidCrmGetsEveryFieldErrorInFrench() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await t.api(
                .POST, "/api/admin/crms", token: tenant.adminToken,
                json: ["name": "", "slug": "Pas Valide!", "api_url": "ftp://x"])
            #expect(response.status == .unprocessableEntity)
            let errors = try response.fieldErrors()
            #expect(errors["name"] == ["Ce champ est obligatoire."])
            #expect(errors["slug"]?.first?.contains("Identifiant invalide") == true)
            #expect(errors["api_url"]?.first?.contains("http") == true)
            #expect(try await Crm.query(on: t.db).filter(\.$organizationId == tenant.id).count() == 2)
        }
    }

    @Test func duplicateSlugInTheSameOrganizationIsAConflict() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await t.api(
                .POST, "/api/admin/crms", token: tenant.adminToken, json: ["name": tenant.crm.name])
            #expect(response.status == .conflict)
            #expect(try response.fieldErrors()["slug"] != nil)
            let other = try await t.makeTenant("Bravo")
            let elsewhere = try await t.api(
                .POST, "/api/admin/crms", token: other.adminToken, json: ["name": tenant.crm.name])
            #expect(elsewhere.status == .created)
        }
    }

    @Test func crmWithAccountsCannotBeDeleted() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await t.api(.DELETE, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken)
            #expect(response.status == .conflict)
            #expect(try response.json()["error"] as? String != nil)
        }
    }

    @Test func malformedJSONIsA400WithAFrenchMessage() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            var headers = HTTPHeaders()
            headers.bearerAuthorization = BearerAuthorization(token: tenant.adminToken)
            headers.contentType = .json
            let response = try await t.app.testing().performTest(
                request: TestingHTTPRequest(
                    method: .POST, url: "/api/admin/crms", headers: headers, body: ByteBuffer(string: "{\"name\": ")))
            #expect(response.status == .badRequest)
            #expect(try response.json()["error"] as? String != nil)
        }
    }

    @Test func listIsPagedWithACursorAndSearchable() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            for index in 0..<5 {
                _ = try await t.api(
                    .POST, "/api/admin/crms", token: tenant.adminToken, json: ["name": "Partenaire \(index)"])
            }
            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let query = "/api/admin/crms?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let response = try await t.api(.GET, query, token: tenant.adminToken)
                let body = try response.json()
                seen += try response.items().compactMap { $0["id"] as? String }
                cursor = body["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == 7)
            #expect(Set(seen).count == 7)
            let found = try await t.api(.GET, "/api/admin/crms?q=partenaire%203", token: tenant.adminToken).items()
            #expect(found.map { $0["name"] as? String } == ["Partenaire 3"])
            let bad = try await t.api(.GET, "/api/admin/crms?cursor=nimporte", token: tenant.adminToken)
            #expect(bad.status == .unprocessableEntity)
        }
    }

    @Test func crmFormKeepsWhatWasTypedAndShowsTheErrors() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let response = try await t.browse(
                .POST, "/crms", session: session, form: ["name": "Nouveau partenaire", "api_url": "pas-une-url"])
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("value=\"Nouveau partenaire\""))
            #expect(response.text.contains("Adresse invalide"))
            let ok = try await t.browse(
                .POST, "/crms", session: session,
                form: ["name": "Nouveau partenaire", "api_url": "https://np.example/api"])
            #expect(ok.status == .seeOther)
            let list = try await t.browse(.GET, "/crms", session: session)
            #expect(list.text.contains("CRM « Nouveau partenaire » créé."))
            #expect(list.text.contains("np.example"))
        }
    }

    @Test func crmListPageSearchesSortsAndShowsAnEmptyState() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let page = try await t.browse(.GET, "/crms?sort=name&dir=desc", session: session).text
            let sorted = page[try #require(page.range(of: "<tbody>")).upperBound...]
            let first = try #require(sorted.range(of: "Alpha CRM Un"))
            let second = try #require(sorted.range(of: "Alpha CRM Deux"))
            #expect(first.lowerBound < second.lowerBound)
            let empty = try await t.browse(.GET, "/crms?q=zzzz", session: session).text
            #expect(empty.contains("Aucun CRM ne correspond"))
        }
    }

    @Test func routingPageSetsCommandesPricesLimitsAndTokens() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let page = try await t.browse(.GET, "/crms/\(tenant.crm.id!)/routing", session: session).text
            #expect(page.contains("Commandes par produit"))
            #expect(page.contains("Île-de-France"))
            let saved = try await t.browse(
                .POST, "/crms/\(tenant.crm.id!)/routing", session: session,
                form: [
                    "delivery_kind": "mdl", "active_PV": "on", "departements_PV": "75, 92;2a 971",
                    "weekly_quota_PV": "50",
                    "price_PV": "25,50", "limit_PV": "100", "token_PV": "jeton-secret-de-redistribution",
                    "map_code_postal": "cp", "map_ville": "-",
                ])
            #expect(saved.status == .seeOther)
            let crm = try await t.api(.GET, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken).json()
            #expect(crm["delivery_kind"] as? String == "mdl")
            let orders = try #require(crm["orders"] as? [String: [String: Any]])
            #expect(orders["PV"]?["departements"] as? [String] == ["2A", "75", "92", "971"])
            #expect(orders["PV"]?["active"] as? Bool == true)
            #expect(orders["PV"]?["weekly_quota"] as? Int == 50)
            #expect((crm["lead_prices"] as? [String: Double])?["PV"] == 25.5)
            #expect((crm["routing_limits"] as? [String: Int])?["PV"] == 100)
            #expect((crm["redistribution_tokens"] as? [String: String])?["PV"] == "jeto••••tion")
            #expect(crm["field_mapping"] as? [String: String] == ["code_postal": "cp", "ville": ""])
            // The token is stored encrypted, never in clear.
            let stored = try #require(try await Crm.find(tenant.crm.id, on: t.db))
            #expect(stored.redistributionTokensSealed?.hasPrefix("v1:") == true)
            #expect(stored.redistributionTokensSealed?.contains("jeton-secret") == false)
            // An unknown département is refused with a clear message, nothing saved.
            let bad = try await t.browse(
                .POST, "/crms/\(tenant.crm.id!)/routing", session: session,
                form: ["delivery_kind": "mdl", "active_PV": "on", "departements_PV": "75 99", "price_PV": "abc"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("département inconnu « 99 »"))
            let unchanged = try await t.api(.GET, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken).json()
            #expect((unchanged["lead_prices"] as? [String: Double])?["PV"] == 25.5)
            // Editors can read it but not change it.
            let editor = try await t.login(email: "editor@alpha.test")
            let refused = try await t.browse(
                .POST, "/crms/\(tenant.crm.id!)/routing", session: editor, form: ["delivery_kind": "zr7"])
            #expect(refused.status == .forbidden)
        }
    }

    @Test func apiRefusesBadCommandesFieldByField() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await t.api(
                .PATCH, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken,
                json: [
                    "orders": ["XX": ["active": true], "PV": ["active": "oui", "departements": ["75"]]],
                    "lead_prices": ["PV": -3], "routing_limits": ["PV": 1.5], "delivery_kind": "fax",
                ])
            #expect(response.status == .unprocessableEntity)
            let errors = try #require(try response.json()["errors"] as? [String: [String]])
            #expect(errors["orders"]?.contains("Type de produit inconnu : XX.") == true)
            #expect(errors["lead_prices"] != nil)
            #expect(errors["routing_limits"] != nil)
            #expect(errors["delivery_kind"] != nil)
        }
    }
}
