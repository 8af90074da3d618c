import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct AuthTests {
    @Test func loginWithRightPasswordOpensASecureSession() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await t.loginAttempt(email: tenant.admin.email, password: testPassword)
            #expect(response.status == .seeOther)
            #expect(response.headers.first(name: .location) == "/")
            let header = try #require(response.setCookieHeader(AuthService.sessionCookie))
            #expect(header.contains("HttpOnly"))
            #expect(header.contains("SameSite=Lax"))
            #expect(!header.contains("Secure"))
            let stored = try await UserSession.query(on: t.db).all()
            #expect(stored.count == 1)
            #expect(stored[0].tokenHash != response.cookie(AuthService.sessionCookie))
        }
    }

    @Test func sessionCookieIsSecureBehindHTTPS() async throws {
        try await TestApp.run(configure: { $0.publicURL = "https://leads.example.fr" }) { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await t.loginAttempt(email: tenant.admin.email, password: testPassword)
            #expect(try #require(response.setCookieHeader(AuthService.sessionCookie)).contains("Secure"))
        }
    }

    @Test func wrongPasswordAndUnknownEmailGetTheSameGenericMessage() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let wrong = try await t.loginAttempt(email: tenant.admin.email, password: "mauvais-mot-de-passe")
            let unknown = try await t.loginAttempt(email: "personne@nulle.part", password: "mauvais-mot-de-passe")
            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == .unauthorized)
            #expect(wrong.text.contains("Identifiants invalides"))
            #expect(unknown.text.contains("Identifiants invalides"))
            #expect(wrong.cookie(AuthService.sessionCookie) == nil)
            let failures = try await ActivityEntry.query(on: t.db).filter(\.$action == "login_failed").count()
            #expect(failures == 1)
        }
    }

    @Test func sixthFailureIsThrottledThenTheDelayPasses() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            for _ in 0..<5 {
                let response = try await t.loginAttempt(email: tenant.admin.email, password: "mauvais-mot-de-passe")
                #expect(response.status == .unauthorized)
            }
            let blocked = try await t.loginAttempt(email: tenant.admin.email, password: testPassword)
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.text.contains("Trop de tentatives"))
            #expect(blocked.headers.first(name: .retryAfter) != nil)

            t.clock.advance(by: 3)
            let allowed = try await t.loginAttempt(email: tenant.admin.email, password: testPassword)
            #expect(allowed.status == .seeOther)
        }
    }

    @Test func throttlingDelayGrowsWithEachFurtherFailure() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            for _ in 0..<5 {
                _ = try await t.loginAttempt(email: tenant.admin.email, password: "mauvais-mot-de-passe")
            }
            t.clock.advance(by: 3)
            _ = try await t.loginAttempt(email: tenant.admin.email, password: "encore-mauvais")
            t.clock.advance(by: 3)
            let stillBlocked = try await t.loginAttempt(email: tenant.admin.email, password: testPassword)
            #expect(stillBlocked.status == .tooManyRequests)
            t.clock.advance(by: 2)
            let allowed = try await t.loginAttempt(email: tenant.admin.email, password: testPassword)
            #expect(allowed.status == .seeOther)
        }
    }

    @Test func failuresFromOneAddressThrottleThatAddressAcrossAccounts() async throws {
        try await TestApp.run(configure: { $0.trustProxy = true }) { t in
            let tenant = try await t.makeTenant("Alpha")
            for index in 0..<5 {
                _ = try await t.loginAttempt(email: "inconnu\(index)@x.fr", password: "mauvais", ip: "203.0.113.9")
            }
            let blocked = try await t.loginAttempt(email: tenant.admin.email, password: testPassword, ip: "203.0.113.9")
            #expect(blocked.status == .tooManyRequests)
            let otherAddress = try await t.loginAttempt(
                email: tenant.admin.email, password: testPassword, ip: "198.51.100.7")
            #expect(otherAddress.status == .seeOther)
        }
    }

    @Test func loginWithoutItsCSRFCookieIsRefused() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await t.post(
                "/login", form: ["email": tenant.admin.email, "password": testPassword, "_csrf": "forged"])
            #expect(response.status == .forbidden)
            #expect(response.cookie(AuthService.sessionCookie) == nil)
        }
    }

    @Test func formPostWithoutCSRFTokenIsRejected() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let response = try await t.browse(
                .POST, "/crms", session: session, form: ["name": "Pirate"], sendCSRF: false)
            #expect(response.status == .forbidden)
            #expect(response.text.contains("CSRF"))
            let forged = session.copy()
            forged.csrf = "pas-le-bon-jeton"
            let wrong = try await t.browse(.POST, "/crms", session: forged, form: ["name": "Pirate"])
            #expect(wrong.status == .forbidden)
            #expect(try await Crm.query(on: t.db).filter(\.$name == "Pirate").count() == 0)
            let accepted = try await t.browse(.POST, "/crms", session: session, form: ["name": "Légitime"])
            #expect(accepted.status == .seeOther)
        }
    }

    @Test func idleSessionExpiresAndSendsBackToLogin() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            t.clock.advance(by: 11 * 3600)
            let stillIn = try await t.browse(.GET, "/crms", session: session)
            #expect(stillIn.status == .ok)
            t.clock.advance(by: 12 * 3600 + 1)
            let expired = try await t.browse(.GET, "/crms", session: session)
            #expect(expired.status == .seeOther)
            #expect(expired.headers.first(name: .location)?.hasPrefix("/login") == true)
        }
    }

    @Test func activeSessionEndsAfterItsMaximumAge() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            for _ in 0..<15 {
                t.clock.advance(by: 11 * 3600)
                #expect(try await t.browse(.GET, "/", session: session).status == .ok)
            }
            t.clock.advance(by: 11 * 3600)
            #expect(try await t.browse(.GET, "/", session: session).status == .seeOther)
        }
    }

    @Test func logoutEndsTheSession() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let out = try await t.browse(.POST, "/logout", session: session)
            #expect(out.status == .seeOther)
            let after = try await t.browse(.GET, "/", session: session)
            #expect(after.status == .seeOther)
            #expect(try await UserSession.query(on: t.db).count() == 0)
        }
    }

    @Test func disabledUserCannotLogIn() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            tenant.admin.active = false
            try await tenant.admin.save(on: t.db)
            let response = try await t.loginAttempt(email: tenant.admin.email, password: testPassword)
            #expect(response.status == .unauthorized)
        }
    }

    @Test func loginRedirectsOnlyToLocalPaths() {
        #expect(AuthController.safeRedirect("/crms?x=1") == "/crms?x=1")
        #expect(AuthController.safeRedirect("https://evil.example") == "/")
        #expect(AuthController.safeRedirect("//evil.example") == "/")
        #expect(AuthController.safeRedirect(nil) == "/")
    }
}

@Suite struct APITokenTests {
    @Test func tokenEndpointIssuesABearerToken() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await t.api(
                .POST, "/api/auth/token", json: ["email": tenant.admin.email, "password": testPassword])
            #expect(response.status == .created)
            let body = try response.json()
            let token = try #require(body["token"] as? String)
            #expect(body["expires_at"] as? String != nil)
            let list = try await t.api(.GET, "/api/admin/crms", token: token)
            #expect(list.status == .ok)
        }
    }

    @Test func tokenEndpointRefusesBadCredentialsInJSON() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await t.api(
                .POST, "/api/auth/token", json: ["email": tenant.admin.email, "password": "faux"])
            #expect(response.status == .unauthorized)
            #expect(try response.json()["error"] as? String == "Identifiants invalides.")
            let missing = try await t.api(.POST, "/api/auth/token", json: [:])
            #expect(missing.status == .unprocessableEntity)
            #expect(try missing.fieldErrors()["email"] != nil)
            #expect(try missing.fieldErrors()["password"] != nil)
        }
    }

    @Test func adminAPIWithoutValidTokenAnswers401() async throws {
        try await TestApp.run { t in
            _ = try await t.makeTenant("Alpha")
            let none = try await t.api(.GET, "/api/admin/crms")
            #expect(none.status == .unauthorized)
            #expect(try none.json()["error"] != nil)
            let bad = try await t.api(.GET, "/api/admin/crms", token: "lh_faux")
            #expect(bad.status == .unauthorized)
        }
    }

    @Test func revokedAndExpiredTokensStopWorking() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let created = try await t.api(
                .POST, "/api/admin/tokens", token: tenant.adminToken, json: ["name": "script", "expires_in_days": 1])
            #expect(created.status == .created)
            let body = try created.json()
            let raw = try #require(body["token"] as? String)
            let id = try #require(body["id"] as? String)
            #expect(try await t.api(.GET, "/api/admin/crms", token: raw).status == .ok)

            t.clock.advance(by: 86_401)
            #expect(try await t.api(.GET, "/api/admin/crms", token: raw).status == .unauthorized)

            let revoke = try await t.api(.DELETE, "/api/admin/tokens/\(id)", token: tenant.adminToken)
            #expect(revoke.status == .noContent)
            let listed = try await t.api(.GET, "/api/admin/tokens", token: tenant.adminToken).items()
            let row = try #require(listed.first { $0["id"] as? String == id })
            #expect(row["revoked_at"] as? String != nil)
            #expect(row["token"] == nil || row["token"] is NSNull)
        }
    }

    @Test func revokedTokenIsRefusedImmediately() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let created = try await t.api(.POST, "/api/admin/tokens", token: tenant.adminToken, json: ["name": "x"])
            let raw = try #require(try created.json()["token"] as? String)
            let id = try #require(try created.json()["id"] as? String)
            _ = try await t.api(.DELETE, "/api/admin/tokens/\(id)", token: tenant.adminToken)
            #expect(try await t.api(.GET, "/api/admin/crms", token: raw).status == .unauthorized)
        }
    }
}
