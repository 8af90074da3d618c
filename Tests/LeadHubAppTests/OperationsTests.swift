import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct OperationsTests {
    @Test func healthAndReadinessAnswerJSON() async throws {
        try await TestApp.run { t in
            let health = try await t.api(.GET, "/health")
            #expect(health.status == .ok)
            #expect(try health.json()["status"] as? String == "ok")
            let ready = try await t.api(.GET, "/ready")
            #expect(ready.status == .ok)
            #expect(try ready.json()["migrations"] as? String == "applied")
            #expect(try ready.json()["database"] as? String == "ok")
        }
    }

    @Test func metricsExposeRequestCountsAndDatabaseHealth() async throws {
        try await TestApp.run { t in
            _ = try await t.api(.GET, "/health")
            let metrics = try await t.api(.GET, "/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("http_requests_total"))
            #expect(metrics.text.contains("path=\"/health\""))
            #expect(metrics.text.contains("http_request_duration_seconds"))
            #expect(metrics.text.contains("leadhub_database_up 1"))
            #expect(metrics.text.contains("leadhub_database_pool_max_connections"))
        }
    }

    @Test func everyAnswerCarriesARequestIdAndSecurityHeaders() async throws {
        try await TestApp.run { t in
            let response = try await t.api(.GET, "/login")
            #expect(response.headers.first(name: "X-Request-Id") != nil)
            #expect(response.headers.first(name: "Content-Security-Policy")?.contains("default-src 'self'") == true)
            #expect(response.headers.first(name: "X-Frame-Options") == "DENY")
        }
    }

    @Test func unknownPagesGetAFrenchErrorPageAndUnknownAPIRoutesJSON() async throws {
        try await TestApp.run { t in
            let page = try await t.api(.GET, "/nulle-part")
            #expect(page.status == .notFound)
            #expect(page.text.contains("Page introuvable"))
            let api = try await t.api(.GET, "/api/admin/nulle-part")
            #expect(api.status == .notFound)
            #expect(try api.json()["error"] as? String != nil)
        }
    }

    @Test func pagesWithoutSessionRedirectToLogin() async throws {
        try await TestApp.run { t in
            let response = try await t.api(.GET, "/crms?page=2")
            #expect(response.status == .seeOther)
            #expect(response.headers.first(name: .location) == "/login?next=/crms?page=2")
        }
    }
}

@Suite struct CommandTests {
    @Test func createUserMakesTheOrganizationWhenItDoesNotExist() async throws {
        try await TestApp.run { t in
            let user = try await UserBootstrap.createUser(
                app: t.app, organization: "Nouvelle Org", email: "chef@nouvelle.fr", password: "mot-de-passe-long",
                role: .admin, name: nil)
            let org = try #require(try await Organization.find(user.organizationId, on: t.db))
            #expect(org.name == "Nouvelle Org")
            #expect(try await ProductType.query(on: t.db).filter(\.$organizationId == org.id!).count() == 3)
            let second = try await UserBootstrap.createUser(
                app: t.app, organization: org.id!.uuidString, email: "aide@nouvelle.fr", password: "mot-de-passe-long",
                role: .viewer, name: "Aide")
            #expect(second.organizationId == org.id)
            let byName = try await UserBootstrap.createUser(
                app: t.app, organization: "nouvelle org", email: "trois@nouvelle.fr", password: "mot-de-passe-long",
                role: .editor, name: nil)
            #expect(byName.organizationId == org.id)
            await #expect(throws: CommandFailure.self) {
                _ = try await UserBootstrap.createUser(
                    app: t.app, organization: "X", email: "chef@nouvelle.fr", password: "mot-de-passe-long",
                    role: .admin, name: nil)
            }
            await #expect(throws: CommandFailure.self) {
                _ = try await UserBootstrap.createUser(
                    app: t.app, organization: "X", email: "court@x.fr", password: "court", role: .admin, name: nil)
            }
        }
    }

    @Test func firstStartCreatesOneAdminWithAOneTimePassword() async throws {
        try await TestApp.run { t in
            var printed: [String] = []
            try await UserBootstrap.ensureFirstAdmin(app: t.app) { printed.append($0) }
            #expect(printed.count == 1)
            let password = try #require(printed[0].firstMatch(of: /Mot de passe : (\S+)/)?.output.1)
            let login = try await t.loginAttempt(email: "admin@leadhub.local", password: String(password))
            #expect(login.status == .seeOther)
            try await UserBootstrap.ensureFirstAdmin(app: t.app) { printed.append($0) }
            #expect(printed.count == 1)
        }
    }

    @Test func configuredAdminIsCreatedFromTheEnvironment() async throws {
        try await TestApp.run(configure: {
            $0.adminEmail = "patron@exemple.fr"
            $0.adminPassword = "mot-de-passe-du-patron"
        }) { t in
            try await UserBootstrap.ensureFirstAdmin(app: t.app) { _ in }
            let login = try await t.loginAttempt(email: "patron@exemple.fr", password: "mot-de-passe-du-patron")
            #expect(login.status == .seeOther)
        }
    }

    @Test func demoFillsARealisticOrganizationOnce() async throws {
        try await TestApp.run { t in
            let lines = try await DemoData.create(app: t.app, trafficDays: 2)
            #expect(lines.first?.contains("créée") == true)
            // Its pages and two days of traffic: events, leads routed and (but the last hour's) delivered.
            // Ten sites, and the version B of the first one for the demo's A/B campaign.
            #expect(try await LandingPage.query(on: t.db).count() == 11)
            #expect(try await Form.query(on: t.db).count() == 10)
            let campaign = try #require(try await Campaign.query(on: t.db).first())
            let variants = try await CampaignService.variants(of: campaign, on: t.db)
            let report = try await CampaignResults.report(campaign, variants: variants, now: t.clock.now(), on: t.db)
            #expect(campaign.status == .running && report.days.count == DemoCampaign.days + 1)
            #expect(report.visitors.allSatisfy { $0 > 2_500 } && report.leads.allSatisfy { $0 > 80 })
            let sql = t.db as! any SQLDatabase
            func count(_ query: String) async throws -> Int {
                try await sql.raw(SQLQueryString(query)).first()!.decode(column: "n", as: Int.self)
            }
            #expect(try await count("SELECT COUNT(*) AS n FROM tracking_events") > 1_000)
            let leads = try await Lead.query(on: t.db).count()
            #expect(leads > 50)
            #expect(try await count("SELECT CAST(SUM(leads) AS BIGINT) AS n FROM stats_hourly") == leads)
            #expect(try await count("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'delivered'") > leads / 2)
            #expect(try await count("SELECT COUNT(*) AS n FROM delivery_attempts") > leads / 2)
            let org = try #require(try await Organization.query(on: t.db).first())
            #expect(try await Crm.query(on: t.db).all().map(\.name).sorted() == ["Maison du Lead", "ZR7 Digital"])
            #expect(try await Account.query(on: t.db).count() == 6)
            #expect(try await Account.query(on: t.db).filter(\.$parentId != nil).count() == 2)
            #expect(try await DiffusionSource.query(on: t.db).count() == 6)
            #expect(try await ProductType.query(on: t.db).filter(\.$organizationId == org.id!).count() == 3)
            let roles = Set(try await User.query(on: t.db).all().map(\.roleRaw))
            #expect(roles == ["admin", "editor", "viewer"])
            let again = try await DemoData.create(app: t.app)
            #expect(again.first?.contains("existe déjà") == true)
            #expect(try await Organization.query(on: t.db).count() == 1)
        }
    }

    @Test func aServerWithoutItsResourcesSaysSoInOneLine() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("leadhub-nores-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(throws: ResourcesCheck.Missing.self) {
            try ResourcesCheck.require(in: DirectoryConfiguration(workingDirectory: empty))
        }
        do {
            try ResourcesCheck.require(in: DirectoryConfiguration(workingDirectory: empty))
        } catch {
            let line = String(describing: error)
            #expect(line.contains("Ressources introuvables") && line.contains("Resources not found"))
            #expect(!line.contains("\n"))
        }
        try ResourcesCheck.require(in: DirectoryConfiguration(workingDirectory: TestApp.packageRoot))
    }
}
