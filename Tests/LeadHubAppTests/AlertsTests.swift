import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct AlertsTests {
    @Test func authErrorOpensOneAlertThatLastsThenClearsByItself() async throws {
        let fake = try await FakeCrm.start { _ in FakeCrm.Reply(status: .forbidden, body: "jeton refusé") }
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            try await (t.db as! any SQLDatabase).delete(from: "alerts").run()
            _ = try await t.api(
                .PATCH, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken,
                json: ["api_url": fake.url, "orders": ["PV": ["active": true, "departements": ["75"]]]])
            _ = try await t.api(
                .PATCH, "/api/admin/accounts/\(tenant.account.id!)", token: tenant.adminToken,
                json: ["crm_tokens": ["PV": "jeton-faux"]])
            try await (t.db as! any SQLDatabase).update("deliveries").set("status", to: "cancelled").run()
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .authorization, value: "Token \(tenant.apiKeyRaw)")
            _ = try await t.api(
                .POST, "/api/v1/leads",
                json: [
                    "form_code": "PV-001", "phone": "0611223361", "code_postal": "75001",
                    "statut_occupant": "proprietaire", "nom": "Martin", "email": "m@exemple.fr",
                    "type_logement": "maison",
                ], headers: headers)
            try await t.app.deliveryWorker.runOnce()

            try await AlertService.evaluate(organizationId: tenant.id, app: t.app)
            try await AlertService.evaluate(organizationId: tenant.id, app: t.app)
            let open = try await t.api(.GET, "/api/admin/alerts", token: tenant.viewerToken).items()
            let auth = try #require(open.first { $0["category"] as? String == "crm_auth" }, "\(open)")
            #expect(auth["level"] as? String == "critical")
            #expect((auth["message"] as? String)?.contains("refuse nos identifiants") == true)
            #expect(auth["count"] as? Int == 2)
            #expect(open.filter { $0["category"] as? String == "crm_auth" }.count == 1)

            // The sidebar shows the count; the page lists it.
            let session = try await t.login(email: tenant.admin.email)
            let page = try await t.browse(.GET, "/alerts", session: session).text
            #expect(page.contains("refuse nos identifiants"))
            #expect(page.contains("class=\"nav-badge\""))

            // An hour later without new refusals, it resolves itself.
            t.clock.advance(by: 3_700)
            try await AlertService.evaluate(organizationId: tenant.id, app: t.app)
            let resolved = try await t.api(.GET, "/api/admin/alerts?status=resolved", token: tenant.viewerToken).items()
            #expect(
                resolved.contains {
                    $0["category"] as? String == "crm_auth" && $0["resolved_by"] as? String == "automatique"
                })
        }
    }

    @Test func peopleResolveAlertsAndTheActivityLogSaysWho() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            #expect(
                try await t.api(.POST, "/api/admin/alerts/\(tenant.alert.id!)/resolve", token: tenant.viewerToken)
                    .status
                    == .forbidden)
            let resolved = try await t.api(
                .POST, "/api/admin/alerts/\(tenant.alert.id!)/resolve", token: tenant.editorToken)
            #expect(try resolved.json()["resolved_by"] as? String == "editor@alpha.test")
            let session = try await t.login(email: tenant.admin.email)
            let page = try await t.browse(.GET, "/alerts", session: session).text
            #expect(page.contains("Aucune alerte en cours"))
            #expect(try await ActivityEntry.query(on: t.db).filter(\.$objectType == "alert").count() == 1)
        }
    }

    @Test func silentFormAndBacklogAreDetectedFromTheData() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            try await (t.db as! any SQLDatabase).delete(from: "alerts").run()
            // The fixture's lead is a day old: PV-001 had leads this week and none for hours.
            let snapshot = try await AlertService.snapshot(
                organizationId: tenant.id, breakers: [:], now: t.clock.now().addingTimeInterval(86_400), on: t.db)
            #expect(snapshot.forms.first?.code == "PV-001")
            #expect(snapshot.waiting == 1)
            var thresholds = AlertThresholds()
            thresholds.backlog = 1
            thresholds.daytime = 0..<24
            let conditions = AlertRules.evaluate(snapshot, thresholds: thresholds)
            #expect(Set(conditions.map(\.category)) == ["queue", "traffic"])
            try await AlertService.refresh(
                organizationId: tenant.id, conditions: conditions, now: t.clock.now(), on: t.db)
            #expect(
                try await Alert.query(on: t.db).filter(\.$organizationId == tenant.id).filter(\.$resolvedAt == nil)
                    .count() == 3)
        }
    }
}

@Suite struct OneOpenAlertPerConditionTests {
    /// Two servers evaluate the same condition at once: the database keeps one open alert, and
    /// the second insert is not announced as a new alert.
    @Test func aConditionHasAtMostOneOpenAlert() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let condition = AlertCondition(
                key: "queue_oldest", level: .warning, category: "queue", message: "m", details: "d")
            let first = try await AlertService.refresh(
                organizationId: tenant.id, conditions: [condition], now: t.clock.now(), on: t.db)
            #expect(first.count == 1)
            // What a second server does without seeing the first one's row: insert the same open alert.
            let twin = Alert()
            twin.organizationId = tenant.id
            twin.key = "queue_oldest"
            twin.level = "warning"
            twin.category = "queue"
            twin.message = "m"
            twin.details = "d"
            twin.firstSeenAt = t.clock.now()
            twin.lastSeenAt = t.clock.now()
            twin.count = 1
            await #expect(throws: (any Error).self) { try await twin.create(on: t.db) }
            let open = try await Alert.query(on: t.db).filter(\.$organizationId == tenant.id).filter(
                \.$key == "queue_oldest"
            )
            .filter(\.$resolvedAt == nil).count()
            #expect(open == 1)
            // Once resolved, the same condition may open a new alert.
            _ = try await AlertService.refresh(organizationId: tenant.id, conditions: [], now: t.clock.now(), on: t.db)
            let again = try await AlertService.refresh(
                organizationId: tenant.id, conditions: [condition], now: t.clock.now(), on: t.db)
            #expect(again.count == 1)
        }
    }
}
