import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

/// The first version's small rules LeadHub keeps: `GET /api/auth/me`, the "semaine" period,
/// summaries sent on demand, "relancer les échecs" across CRMs within a time window.
@Suite struct FirstVersionRulesTests {
    @Test func authMeNamesTheCallerAndItsOrganization() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let me = try await t.api(.GET, "/api/auth/me", token: tenant.viewerToken)
            #expect(me.status == .ok)
            let body = try me.json()
            #expect(body["email"] as? String == "viewer@alpha.test")
            #expect(body["role"] as? String == "viewer")
            #expect(body["organization_name"] as? String == "Alpha")
            #expect((body["user"] as? [String: Any])?["email"] as? String == "viewer@alpha.test")
            #expect(body["allowed_accounts"] as? [Any] != nil)
            #expect(
                try await t.api(.GET, "/api/admin/me", token: tenant.adminToken).json()["role"] as? String == "admin")
            #expect(try await t.api(.GET, "/api/auth/me").status == .unauthorized)
        }
    }

    @Test func theWeekPeriodStartsOnMonday() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let week = try await t.api(.GET, "/api/admin/stats/funnel?period=week", token: tenant.viewerToken)
            #expect(week.status == .ok)
            let range = AnalyticsPeriod.thisWeek.range(now: t.clock.now())
            #expect(week.headers.contentType == .json)
            let body = try week.json()
            #expect(body["from"] as? String == ParisDay.text(range.start))
            #expect(body["leads"] as? Int == 1)
            let session = try await t.login(email: tenant.admin.email)
            let dashboard = try await t.browse(.GET, "/?period=week", session: session)
            #expect(dashboard.status == .ok)
            #expect(dashboard.text.contains("Cette semaine"))
            // The latest leads are on the dashboard, as in the first version.
            #expect(dashboard.text.contains("Derniers leads"))
            #expect(dashboard.text.contains("/leads/\(tenant.lead.id!.uuidString)"))
        }
    }

    @Test func summariesAreSentOnDemandToTheRecipients() async throws {
        let sendgrid = try await FakeCrm.start(path: ["v3", "mail", "send"]) { _ in
            FakeCrm.Reply(status: .accepted, body: "")
        }
        defer { Task { await sendgrid.shutdown() } }
        try await TestApp.run { t in
            t.app.mailer = SendGridMailer(client: t.app.http.client.shared, baseURL: sendgrid.base)
            let tenant = try await t.makeTenant("Alpha")
            let unset = try await t.api(
                .POST, "/api/admin/notifications/summary", token: tenant.adminToken, json: ["kind": "daily"])
            #expect(unset.status == .unprocessableEntity)
            _ = try await t.api(
                .PATCH, "/api/admin/notifications", token: tenant.adminToken,
                json: [
                    "sendgrid_api_key": "SG.key", "mail_from": "alertes@alpha.test", "alert_emails": "ops@alpha.test",
                ])
            #expect(
                try await t.api(
                    .POST, "/api/admin/notifications/summary", token: tenant.editorToken, json: ["kind": "daily"]
                ).status == .forbidden)
            let daily = try await t.api(
                .POST, "/api/admin/notifications/summary", token: tenant.adminToken, json: ["kind": "daily"])
            #expect(daily.status == .ok)
            #expect(try daily.json()["accepted"] as? Bool == true)
            #expect(try daily.json()["period"] as? String == SummarySchedule.latest(.daily, now: t.clock.now()).key)
            let session = try await t.login(email: tenant.admin.email)
            let weekly = try await t.browse(
                .POST, "/settings/notifications/summary", session: session, form: ["kind": "weekly"])
            #expect(weekly.status == .seeOther)
            #expect(sendgrid.received.count == 2)
            #expect(sendgrid.received.last?.body.contains("semaine du") == true)
            // The 7:00 schedule is untouched.
            let org = try #require(try await Organization.find(tenant.id, on: t.db))
            #expect(org.lastDailySummary == nil && org.lastWeeklySummary == nil)
            let settings = try await t.browse(.GET, "/settings", session: session)
            #expect(settings.text.contains("Envoyer le résumé de la veille"))
        }
    }

    @Test func failedDeliveriesOfEveryCrmAreRetriedWithinATimeWindow() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let sql = t.db as! any SQLDatabase
            // Three deliveries that need a person: two recent (two CRMs), one three days old.
            var ids: [UUID] = []
            for (crm, age) in [(tenant.crm, 3_600.0), (tenant.otherCrm, 7_200.0), (tenant.crm, 3 * 86_400.0)] {
                let lead = try await t.makeLead(
                    form: tenant.form, account: tenant.account,
                    fields: ["phone": .string("06123400\(10 + ids.count)"), "nom": .string("Echec")],
                    at: t.clock.now().addingTimeInterval(-age))
                let delivery = try #require(try await Delivery.query(on: t.db).filter(\.$leadId == lead.id!).first())
                try await sql.update("deliveries").set("status", to: "exhausted").set("crm_id", to: crm.id!)
                    .set("created_at", to: t.clock.now().addingTimeInterval(-age)).where("id", .equal, delivery.id!)
                    .run()
                ids.append(delivery.id!)
            }
            let window = try await t.api(
                .POST, "/api/admin/deliveries/retry-all", token: tenant.editorToken, json: ["hours": 24])
            #expect(try window.json()["count"] as? Int == 2)
            let statuses = try await Delivery.query(on: t.db).filter(\.$id ~~ ids).all()
            #expect(statuses.filter { $0.status == .retrying || $0.status == .pending }.count == 2)
            #expect(statuses.first { $0.id == ids[2] }?.status == .exhausted)
            let bad = try await t.api(
                .POST, "/api/admin/deliveries/retry-all", token: tenant.editorToken, json: ["hours": 0])
            #expect(bad.status == .unprocessableEntity)
            // From the queue page, every CRM, no window: the old one goes too.
            let session = try await t.login(email: tenant.admin.email)
            let page = try await t.browse(.GET, "/queue", session: session)
            #expect(page.text.contains("Relancer les échecs de tous les CRM"))
            let all = try await t.browse(
                .POST, "/queue/actions", session: session, form: ["action": "retry_all", "hours": "168"])
            #expect(all.status == .seeOther)
            #expect(try await Delivery.find(ids[2], on: t.db)?.status != .exhausted)
            let activity = try await ActivityEntry.query(on: t.db).filter(\.$organizationId == tenant.id).all().map(
                \.summary)
            #expect(activity.contains { $0.contains("vers tous les CRM (dernières 24 h)") })
        }
    }
}
