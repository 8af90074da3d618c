import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct RolePermissionTests {
    @Test func viewerCanReadButNotChangeAnything() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let token = tenant.viewerToken
            #expect(try await t.api(.GET, "/api/admin/accounts", token: token).status == .ok)
            #expect(try await t.api(.GET, "/api/admin/crms", token: token).status == .ok)
            let attempts: [(HTTPMethod, String, [String: Any]?)] = [
                (.POST, "/api/admin/accounts", ["name": "X", "crm_id": tenant.crm.id!.uuidString]),
                (.PATCH, "/api/admin/accounts/\(tenant.account.id!)", ["name": "X"]),
                (.DELETE, "/api/admin/accounts/\(tenant.subAccount.id!)", nil),
                (.POST, "/api/admin/diffusion-sources", ["name": "X"]),
                (.PATCH, "/api/admin/product-types/\(tenant.productType.id!)", ["label": "X"]),
                (.POST, "/api/admin/crms", ["name": "X"]),
                (.PATCH, "/api/admin/crms/\(tenant.crm.id!)", ["name": "X"]),
                (.POST, "/api/admin/users", ["email": "x@x.fr"]),
            ]
            for (method, path, json) in attempts {
                let response = try await t.api(method, path, token: token, json: json)
                #expect(response.status == .forbidden, "\(method) \(path) answered \(response.status.code)")
            }
            #expect(try await Account.find(tenant.account.id, on: t.db)?.name == tenant.account.name)
        }
    }

    @Test func viewerSeesPagesReadOnly() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: "viewer@alpha.test")
            let page = try await t.browse(.GET, "/accounts/\(tenant.account.id!)", session: session)
            #expect(page.status == .ok)
            #expect(page.text.contains("disabled"))
            #expect(!page.text.contains("Supprimer ce compte"))
            let post = try await t.browse(
                .POST, "/accounts/\(tenant.account.id!)", session: session, form: ["name": "X"])
            #expect(post.status == .forbidden)
            #expect(try await t.browse(.GET, "/users", session: session).status == .forbidden)
        }
    }

    @Test func editorManagesAccountsButNotCrmsNorUsers() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let token = tenant.editorToken
            let account = try await t.api(
                .POST, "/api/admin/accounts", token: token,
                json: ["name": "Nouveau", "crm_id": tenant.crm.id!.uuidString])
            #expect(account.status == .created)
            let source = try await t.api(
                .POST, "/api/admin/diffusion-sources", token: token, json: ["name": "Outbrain"])
            #expect(source.status == .created)
            #expect(try await t.api(.POST, "/api/admin/crms", token: token, json: ["name": "X"]).status == .forbidden)
            #expect(
                try await t.api(.DELETE, "/api/admin/crms/\(tenant.otherCrm.id!)", token: token).status == .forbidden)
            #expect(try await t.api(.GET, "/api/admin/users", token: token).status == .forbidden)
            #expect(
                try await t.api(.GET, "/api/admin/users/\(tenant.admin.id!)", token: token).status == .forbidden)
            #expect(
                try await t.api(.POST, "/api/admin/users", token: token, json: ["email": "a@b.fr"]).status == .forbidden
            )
        }
    }

    @Test func sidebarShowsUsersOnlyToAdmins() async throws {
        try await TestApp.run { t in
            _ = try await t.makeTenant("Alpha")
            let admin = try await t.browse(.GET, "/", session: try await t.login(email: "admin@alpha.test"))
            let editor = try await t.browse(.GET, "/", session: try await t.login(email: "editor@alpha.test"))
            #expect(admin.text.contains("href=\"/users\""))
            #expect(!editor.text.contains("href=\"/users\""))
        }
    }
}

@Suite struct RestrictionTests {
    @Test func userLimitedToACrmSeesOnlyThatCrmAndItsAccounts() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let (_, token) = try await t.makeUser(
                in: tenant.id, role: .editor, email: "limite@alpha.test", crmIds: [tenant.otherCrm.id!])
            let crms = try await t.api(.GET, "/api/admin/crms", token: token).items().compactMap {
                $0["name"] as? String
            }
            #expect(crms == [tenant.otherCrm.name])
            let accounts = try await t.api(.GET, "/api/admin/accounts", token: token).items()
                .compactMap { $0["name"] as? String }
            #expect(accounts == [tenant.otherAccount.name])
            #expect(
                try await t.api(.GET, "/api/admin/accounts/\(tenant.account.id!)", token: token).status == .notFound)
            #expect(try await t.api(.GET, "/api/admin/crms/\(tenant.crm.id!)", token: token).status == .notFound)
            let patch = try await t.api(
                .PATCH, "/api/admin/accounts/\(tenant.account.id!)", token: token, json: ["name": "X"])
            #expect(patch.status == .notFound)
            let outside = try await t.api(
                .POST, "/api/admin/accounts", token: token, json: ["name": "X", "crm_id": tenant.crm.id!.uuidString])
            #expect(outside.status == .unprocessableEntity)
            #expect(try outside.fieldErrors()["crm_id"] != nil)
            let inside = try await t.api(
                .POST, "/api/admin/accounts", token: token,
                json: ["name": "Dans mon CRM", "crm_id": tenant.otherCrm.id!.uuidString])
            #expect(inside.status == .created)
        }
    }

    @Test func userLimitedToAnAccountSeesItAndItsSubAccountsOnly() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let (_, token) = try await t.makeUser(
                in: tenant.id, role: .editor, email: "compte@alpha.test", accountIds: [tenant.account.id!])
            let accounts = try await t.api(.GET, "/api/admin/accounts", token: token).items()
                .compactMap { $0["name"] as? String }.sorted()
            #expect(accounts == [tenant.account.name, tenant.subAccount.name].sorted())
            let crms = try await t.api(.GET, "/api/admin/crms", token: token).items().compactMap {
                $0["name"] as? String
            }
            #expect(crms == [tenant.crm.name])
            let root = try await t.api(
                .POST, "/api/admin/accounts", token: token,
                json: ["name": "Racine", "crm_id": tenant.crm.id!.uuidString])
            #expect(root.status == .unprocessableEntity)
            let child = try await t.api(
                .POST, "/api/admin/accounts", token: token,
                json: ["name": "Nouveau sous-compte", "parent_id": tenant.account.id!.uuidString])
            #expect(child.status == .created)
            #expect(try child.json()["crm_id"] as? String == tenant.crm.id!.uuidString)
            let visibleNow = try await t.api(.GET, "/api/admin/accounts", token: token).items().count
            #expect(visibleNow == 3)
        }
    }

    @Test func restrictedUserSeesOnlyTheirOwnActivity() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let (_, token) = try await t.makeUser(
                in: tenant.id, role: .editor, email: "limite@alpha.test", crmIds: [tenant.otherCrm.id!])
            _ = try await t.api(
                .PATCH, "/api/admin/accounts/\(tenant.otherAccount.id!)", token: token, json: ["notes": "vu"])
            let entries = try await t.api(.GET, "/api/admin/activity", token: token).items()
            #expect(entries.count == 1)
            #expect(entries.allSatisfy { $0["user_email"] as? String == "limite@alpha.test" })
            let all = try await t.api(.GET, "/api/admin/activity", token: tenant.adminToken).items()
            #expect(all.count > 1)
        }
    }

    @Test func crmSwitcherNarrowsTheAccountsPage() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let switched = try await t.browse(
                .POST, "/scope", session: session, form: ["crm_id": tenant.otherCrm.id!.uuidString])
            #expect(switched.status == .seeOther)
            let page = try await t.browse(.GET, "/accounts", session: session).text
            let table = page[try #require(page.range(of: "<tbody>")).upperBound...]
            #expect(table.contains(tenant.otherAccount.name))
            #expect(!table.contains(tenant.account.name))
            _ = try await t.browse(.POST, "/scope", session: session, form: ["crm_id": ""])
            let all = try await t.browse(.GET, "/accounts", session: session).text
            #expect(all.contains(tenant.account.name))
        }
    }
}
