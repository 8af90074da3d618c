import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct UsersTests {
    @Test func adminCreatesAUserWhoCanThenLogIn() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let created = try await t.api(
                .POST, "/api/admin/users", token: tenant.adminToken,
                json: [
                    "email": "Nouvelle@Alpha.test", "name": "Nouvelle", "password": "un-mot-de-passe-long",
                    "role": "editor", "crm_ids": [tenant.crm.id!.uuidString],
                ])
            #expect(created.status == .created)
            let body = try created.json()
            #expect(body["email"] as? String == "nouvelle@alpha.test")
            #expect(body["password_hash"] == nil)
            #expect(body["password"] == nil)
            #expect(body["crm_ids"] as? [String] == [tenant.crm.id!.uuidString])
            let login = try await t.loginAttempt(email: "nouvelle@alpha.test", password: "un-mot-de-passe-long")
            #expect(login.status == .seeOther)
        }
    }

    @Test func userInputIsValidatedAllAtOnce() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await t.api(
                .POST, "/api/admin/users", token: tenant.adminToken,
                json: ["email": "pas-une-adresse", "password": "court", "role": "chef", "crm_ids": [UUID().uuidString]])
            #expect(response.status == .unprocessableEntity)
            let errors = try response.fieldErrors()
            for field in ["email", "name", "password", "role", "crm_ids"] {
                #expect(errors[field] != nil, "no error for \(field)")
            }
            let taken = try await t.api(
                .POST, "/api/admin/users", token: tenant.adminToken,
                json: ["email": tenant.admin.email, "name": "X", "password": "un-mot-de-passe-long", "role": "viewer"])
            #expect(taken.status == .conflict)
        }
    }

    @Test func lastAdminCannotBeDemotedDisabledOrDeleted() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let (other, otherToken) = try await t.makeUser(in: tenant.id, role: .admin, email: "second@alpha.test")
            let demoteSelf = try await t.api(
                .PATCH, "/api/admin/users/\(tenant.admin.id!)", token: tenant.adminToken, json: ["role": "viewer"])
            #expect(demoteSelf.status == .unprocessableEntity)
            let deleteSelf = try await t.api(.DELETE, "/api/admin/users/\(tenant.admin.id!)", token: tenant.adminToken)
            #expect(deleteSelf.status == .conflict)
            let demoteOther = try await t.api(
                .PATCH, "/api/admin/users/\(other.id!)", token: tenant.adminToken, json: ["role": "viewer"])
            #expect(demoteOther.status == .ok)
            let demoteLast = try await t.api(
                .PATCH, "/api/admin/users/\(tenant.admin.id!)", token: otherToken, json: ["active": false])
            #expect(demoteLast.status == .forbidden)
        }
    }

    @Test func newPasswordEndsTheUsersOtherSessions() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let editorSession = try await t.login(email: "editor@alpha.test")
            let editor = try #require(try await User.query(on: t.db).filter(\.$email == "editor@alpha.test").first())
            let response = try await t.api(
                .PATCH, "/api/admin/users/\(editor.id!)", token: tenant.adminToken,
                json: ["password": "tout-nouveau-mot-de-passe"])
            #expect(response.status == .ok)
            #expect(try await t.browse(.GET, "/", session: editorSession).status == .seeOther)
            let login = try await t.loginAttempt(email: "editor@alpha.test", password: "tout-nouveau-mot-de-passe")
            #expect(login.status == .seeOther)
        }
    }

    @Test func userChangesTheirOwnPasswordInSettings() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let wrong = try await t.browse(
                .POST, "/settings/password", session: session,
                form: ["current_password": "faux", "new_password": "nouveau-secret-42", "confirmation": "autre"])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.text.contains("Mot de passe actuel incorrect."))
            #expect(wrong.text.contains("La confirmation ne correspond pas"))
            let ok = try await t.browse(
                .POST, "/settings/password", session: session,
                form: [
                    "current_password": testPassword, "new_password": "nouveau-secret-42",
                    "confirmation": "nouveau-secret-42",
                ])
            #expect(ok.status == .seeOther)
            #expect(try await t.browse(.GET, "/settings", session: session).status == .ok)
            let login = try await t.loginAttempt(email: tenant.admin.email, password: "nouveau-secret-42")
            #expect(login.status == .seeOther)
        }
    }

    @Test func settingsPageCreatesATokenShownOnceThenOnlyByPrefix() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let created = try await t.browse(
                .POST, "/settings/tokens", session: session, form: ["name": "Export nocturne", "expires_in_days": "30"])
            #expect(created.status == .ok)
            let token = try #require(created.text.firstMatch(of: /lh_[A-Za-z0-9_-]{40,}/)).output
            #expect(try await t.api(.GET, "/api/admin/crms", token: String(token)).status == .ok)
            let later = try await t.browse(.GET, "/settings", session: session)
            #expect(!later.text.contains(String(token)))
            #expect(later.text.contains(String(token.prefix(10))))
            let tokenId = try #require(
                try await ApiToken.query(on: t.db).filter(\.$name == "Export nocturne").first()?.id)
            let revoked = try await t.browse(.POST, "/settings/tokens/\(tokenId)/revoke", session: session)
            #expect(revoked.status == .seeOther)
            #expect(try await t.api(.GET, "/api/admin/crms", token: String(token)).status == .unauthorized)
            let log = try await ActivityEntry.query(on: t.db).filter(\.$action ~~ ["token_created", "token_revoked"])
                .count()
            #expect(log == 2)
        }
    }
}

@Suite struct ActivityTests {
    @Test func changesAndLoginsAreLoggedWithAReadableSummary() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await t.login(email: tenant.admin.email)
            _ = try await t.api(
                .PATCH, "/api/admin/accounts/\(tenant.account.id!)", token: tenant.adminToken, json: ["notes": "x"])
            let entries = try await t.api(.GET, "/api/admin/activity?limit=200", token: tenant.adminToken).items()
            let summaries = entries.compactMap { $0["summary"] as? String }
            #expect(summaries.contains("Connexion de \(tenant.admin.email)"))
            #expect(summaries.contains("Compte « \(tenant.account.name) » modifié"))
            let update = try #require(entries.first { ($0["summary"] as? String)?.contains("modifié") == true })
            #expect(update["user_email"] as? String == tenant.admin.email)
            #expect(update["object_id"] as? String == tenant.account.id!.uuidString)
        }
    }

    @Test func activityPageFiltersByActionAndDay() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            _ = try await t.api(.POST, "/api/admin/diffusion-sources", token: tenant.adminToken, json: ["name": "Bing"])
            let created = try await t.browse(.GET, "/activity?action=create", session: session).text
            #expect(created.contains("Source de diffusion « Bing » créée"))
            #expect(!created.contains("Connexion de"))
            let farAway = try await t.browse(.GET, "/activity?from=2001-01-01&to=2001-01-02", session: session).text
            #expect(farAway.contains("Aucune entrée ne correspond"))
            let badDate = try await t.api(.GET, "/api/admin/activity?from=hier", token: tenant.adminToken)
            #expect(badDate.status == .unprocessableEntity)
        }
    }
}
