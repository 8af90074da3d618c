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
                _ = try await t.api(.POST, "/api/admin/crms", token: tenant.adminToken, json: ["name": "Partenaire \(index)"])
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
                .POST, "/crms", session: session, form: ["name": "Nouveau partenaire", "api_url": "https://np.example/api"])
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
}
