import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

/// Several servers on one database: each periodic job has one owner per run.
@Suite struct JobLeasesTests {
    @Test func aStickyLeaseStaysWithItsOwnerUntilItStopsRenewing() async throws {
        try await TestApp.run { t in
            let sql = t.db as! any SQLDatabase
            let one = JobLeases(owner: "serveur-1")
            let two = JobLeases(owner: "serveur-2")
            var now = t.clock.now()
            #expect(try await one.claim("job", kind: .sticky, for: 180, now: now, on: sql))
            #expect(try await two.claim("job", kind: .sticky, for: 180, now: now, on: sql) == false)
            now += 60
            #expect(try await one.claim("job", kind: .sticky, for: 180, now: now, on: sql))
            now += 179
            #expect(try await two.claim("job", kind: .sticky, for: 180, now: now, on: sql) == false)
            // The owner stopped renewing (killed): once its lease has run out, the other takes over.
            now += 2
            #expect(try await two.claim("job", kind: .sticky, for: 180, now: now, on: sql))
            #expect(try await one.claim("job", kind: .sticky, for: 180, now: now, on: sql) == false)
            let holder = try #require(try await JobLeases.holder(of: "job", on: sql))
            #expect(holder.owner == "serveur-2")
            #expect(abs(holder.until.timeIntervalSince(now + 180)) < 1)
            // A clean stop gives it back at once.
            try await two.release(["job"], on: sql)
            #expect(try await one.claim("job", kind: .sticky, for: 180, now: now, on: sql))
            // Jobs are independent.
            #expect(try await two.claim("autre", kind: .sticky, for: 180, now: now, on: sql))
        }
    }

    @Test func aOnceUntilExpiryLeaseRunsOnceAPeriodWhoeverAsks() async throws {
        try await TestApp.run { t in
            let sql = t.db as! any SQLDatabase
            let one = JobLeases(owner: "serveur-1")
            let two = JobLeases(owner: "serveur-2")
            let start = t.clock.now()
            func claim(_ leases: JobLeases, after seconds: TimeInterval) async throws -> Bool {
                try await leases.claim(
                    "hourly", kind: .onceUntilExpiry, for: 3_600, now: start.addingTimeInterval(seconds), on: sql)
            }
            let first = try await claim(one, after: 0)
            let sameAgain = try await claim(one, after: 10)
            let otherSoon = try await claim(two, after: 10)
            let otherLater = try await claim(two, after: 3_600)
            let firstAfter = try await claim(one, after: 3_700)
            #expect(first && !sameAgain && !otherSoon && otherLater && !firstAfter)
        }
    }

    /// Two monitors on one database, turn after turn, as two servers would run them: one alert
    /// opened and mailed once, one summary sent once; when the owner stops, the other carries on.
    @Test func twoMonitorsOnOneDatabaseOpenOneAlertAndSendOneSummary() async throws {
        let sendgrid = try await FakeCrm.start(path: ["v3", "mail", "send"]) { _ in
            FakeCrm.Reply(status: .accepted, body: "")
        }
        defer { Task { await sendgrid.shutdown() } }
        try await TestApp.run { t in
            t.app.mailer = SendGridMailer(client: t.app.http.client.shared, baseURL: sendgrid.base)
            let tenant = try await t.makeTenant("Alpha")
            let sql = t.db as! any SQLDatabase
            try await sql.delete(from: "alerts").run()
            _ = try await t.api(
                .PATCH, "/api/admin/notifications", token: tenant.adminToken,
                json: [
                    "sendgrid_api_key": "SG.key", "mail_from": "alertes@alpha.test", "alert_emails": "ops@alpha.test",
                ])
            // The next morning at 7:30 in Paris (a summary is due), with an exhausted delivery (an alert).
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = FrenchFormat.parisTimeZone
            let nextDay = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: t.clock.now()))!
            t.clock.advance(by: nextDay.addingTimeInterval(7.5 * 3_600).timeIntervalSince(t.clock.now()))
            try await sql.update("deliveries").set("status", to: "exhausted").set("updated_at", to: t.clock.now()).run()

            let one = AlertMonitor(app: t.app, leases: JobLeases(owner: "serveur-1"))
            let two = AlertMonitor(app: t.app, leases: JobLeases(owner: "serveur-2"))
            for _ in 0..<3 {
                #expect(await one.runOnce(interval: 60).contains(AlertMonitor.alertsJob))
                #expect(await two.runOnce(interval: 60).contains(AlertMonitor.alertsJob) == false)
                t.clock.advance(by: 60)
            }
            let open = try await sql.select().column("key").from("alerts").where("resolved_at", .is, SQLLiteral.null)
                .all().map { try $0.decode(column: "key", as: String.self) }
            #expect(open == ["deliveries_exhausted"])
            let summaries = sendgrid.received.filter { $0.body.contains("résumé du") }
            let alertMails = sendgrid.received.filter { $0.body.contains("épuisée") && !$0.body.contains("résumé du") }
            #expect(summaries.count == 1)
            #expect(alertMails.count == 1)
            let outcome = try await ActivityEntry.query(on: t.db).filter(\.$organizationId == tenant.id)
                .filter(\.$summary ~~ "envoyé à 1 destinataire").count()
            #expect(outcome == 1)

            // The owner stops cleanly: the other one takes the jobs at its next turn.
            try await one.leases.release([AlertMonitor.alertsJob, AlertMonitor.summariesJob], on: sql)
            let ran = await two.runOnce(interval: 60)
            #expect(ran.contains(AlertMonitor.alertsJob) && ran.contains(AlertMonitor.summariesJob))
            #expect(await one.runOnce(interval: 60).contains(AlertMonitor.alertsJob) == false)
        }
    }
}
