import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct NotificationsTests {
    @Test func settingsKeepTheKeySealedAndTheTestEmailReportsSendGridsAnswer() async throws {
        let sendgrid = try await FakeCrm.start(path: ["v3", "mail", "send"]) { count in
            count == 1
                ? FakeCrm.Reply(status: .accepted, body: "")
                : FakeCrm.Reply(
                    status: .forbidden,
                    body: "{\"errors\":[{\"message\":\"The from address does not match a verified Sender Identity.\"}]}"
                )
        }
        defer { Task { await sendgrid.shutdown() } }
        try await TestApp.run { t in
            t.app.mailer = SendGridMailer(client: t.app.http.client.shared, baseURL: sendgrid.base)
            let tenant = try await t.makeTenant("Alpha")
            let missing = try await t.api(.POST, "/api/admin/notifications/test", token: tenant.adminToken)
            #expect(missing.status == .unprocessableEntity)
            let bad = try await t.api(
                .PATCH, "/api/admin/notifications", token: tenant.adminToken,
                json: ["mail_from": "pas-une-adresse", "alert_emails": "ops@alpha.test, nope"])
            #expect(bad.status == .unprocessableEntity)
            let saved = try await t.api(
                .PATCH, "/api/admin/notifications", token: tenant.adminToken,
                json: [
                    "sendgrid_api_key": "SG.secret-key-for-tests", "mail_from": "alertes@alpha.test",
                    "alert_emails": "ops@alpha.test; dir@alpha.test",
                ])
            let body = try saved.json()
            #expect(body["sendgrid_api_key"] as? String == "SG.s••••ests")
            #expect(body["alert_emails"] as? [String] == ["ops@alpha.test", "dir@alpha.test"])
            #expect(try await Organization.find(tenant.id, on: t.db)?.sendgridKeySealed?.contains("secret") == false)
            #expect(
                try await t.api(.PATCH, "/api/admin/notifications", token: tenant.editorToken, json: [:]).status
                    == .forbidden)

            let accepted = try await t.api(.POST, "/api/admin/notifications/test", token: tenant.adminToken).json()
            #expect(accepted["accepted"] as? Bool == true)
            #expect(accepted["status"] as? Int == 202)
            let sent = try #require(sendgrid.received.first)
            #expect(sent.authorization == "Bearer SG.secret-key-for-tests")
            #expect(sent.body.contains("admin@alpha.test"))
            // SendGrid's refusal is shown word for word on the settings page.
            let session = try await t.login(email: tenant.admin.email)
            let refused = try await t.browse(.POST, "/settings/notifications/test", session: session)
            #expect(refused.status == .seeOther)
            let page = try await t.browse(.GET, "/settings", session: session).text
            #expect(page.contains("does not match a verified Sender Identity"))
            #expect(page.contains("enregistrée : SG.s••••ests"))
        }
    }

    @Test func aNewAlertIsMailedAndPostedToTheWebhookOnce() async throws {
        let sendgrid = try await FakeCrm.start(path: ["v3", "mail", "send"]) { _ in
            FakeCrm.Reply(status: .accepted, body: "")
        }
        let hook = try await FakeCrm.start(path: ["hook"]) { _ in FakeCrm.Reply(status: .ok, body: "ok") }
        defer {
            Task {
                await sendgrid.shutdown(); await hook.shutdown()
            }
        }
        try await TestApp.run { t in
            t.app.mailer = SendGridMailer(client: t.app.http.client.shared, baseURL: sendgrid.base)
            let tenant = try await t.makeTenant("Alpha")
            try await (t.db as! any SQLDatabase).delete(from: "alerts").run()
            _ = try await t.api(
                .PATCH, "/api/admin/notifications", token: tenant.adminToken,
                json: [
                    "sendgrid_api_key": "SG.key", "mail_from": "alertes@alpha.test", "alert_emails": "ops@alpha.test",
                    "webhook_url": hook.base + "/hook",
                ])
            // The fixture's lead waits for delivery: a backlog threshold of 1 raises an alert.
            let snapshot = try await AlertService.snapshot(
                organizationId: tenant.id, breakers: [:], now: t.clock.now(), on: t.db)
            var thresholds = AlertThresholds()
            thresholds.backlog = 1
            for _ in 0..<2 {
                let opened = try await AlertService.refresh(
                    organizationId: tenant.id, conditions: AlertRules.evaluate(snapshot, thresholds: thresholds),
                    now: t.clock.now(),
                    on: t.db)
                await NotificationService.alertsOpened(opened, organizationId: tenant.id, app: t.app)
            }
            #expect(sendgrid.received.count == 1)
            #expect(sendgrid.received.first?.body.contains("File d'attente chargée") == true)
            #expect(hook.received.count == 1)
            #expect(hook.received.first?.body.contains("queue") == true)
        }
    }
}

@Suite struct SummaryTests {
    @Test func dailySummaryGoesOutOnceWithLeadsDeliveriesAndAlerts() async throws {
        let sendgrid = try await FakeCrm.start(path: ["v3", "mail", "send"]) { _ in
            FakeCrm.Reply(status: .accepted, body: "")
        }
        defer { Task { await sendgrid.shutdown() } }
        try await TestApp.run { t in
            t.app.mailer = SendGridMailer(client: t.app.http.client.shared, baseURL: sendgrid.base)
            let tenant = try await t.makeTenant("Alpha")
            _ = try await t.api(
                .PATCH, "/api/admin/notifications", token: tenant.adminToken,
                json: [
                    "sendgrid_api_key": "SG.key", "mail_from": "alertes@alpha.test", "alert_emails": "ops@alpha.test",
                ])
            // The next morning at 7:30 in Paris, the day of the fixture's lead is summed up.
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = FrenchFormat.parisTimeZone
            let nextDay = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: t.clock.now()))!
            t.clock.advance(by: nextDay.addingTimeInterval(7.5 * 3_600).timeIntervalSince(t.clock.now()))
            try await SummaryService.sendDue(app: t.app)
            try await SummaryService.sendDue(app: t.app)
            let mails = sendgrid.received.filter { $0.body.contains("résumé du") }
            #expect(mails.count == 1)
            let body = try #require(mails.first?.body)
            #expect(body.contains("Leads reçus : 1"))
            #expect(body.contains("Alpha Compte Un : 1"))
            #expect(body.contains("Alertes en cours (1)"))
        }
    }
}

@Suite struct SummaryClaimTests {
    /// Two servers sharing the database evaluate the schedule at the same minute: the summary is
    /// marked before it is sent, and only the server whose mark changed the row sends it.
    @Test func aSummaryIsClaimedOnceBeforeItIsSent() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let period = SummarySchedule.latest(.daily, now: t.clock.now())
            let first = try await SummaryService.claim(period, organizationId: tenant.id, on: t.db)
            let second = try await SummaryService.claim(period, organizationId: tenant.id, on: t.db)
            #expect(first && !second)
            #expect(try await Organization.find(tenant.id, on: t.db)?.lastDailySummary == period.key)
            let week = SummarySchedule.latest(.weekly, now: t.clock.now())
            #expect(try await SummaryService.claim(week, organizationId: tenant.id, on: t.db))
        }
    }
}
