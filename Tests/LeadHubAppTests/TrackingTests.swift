import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct TrackingTests {
    static let browser =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"

    func post(_ t: TestApp, _ body: [String: Any], userAgent: String = browser, contentType: String = "text/plain")
        async throws -> TestingHTTPResponse
    {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .userAgent, value: userAgent)
        headers.replaceOrAdd(name: .origin, value: "https://alpha.example")
        headers.replaceOrAdd(name: .contentType, value: contentType)
        return try await t.app.testing().performTest(
            request: TestingHTTPRequest(
                method: .POST, url: URI(path: "/api/v1/events"), headers: headers,
                body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: body))))
    }

    func funnel(_ t: TestApp, _ tenant: Tenant, _ query: String = "") async throws -> [String: Any] {
        let response = try await t.api(.GET, "/api/admin/stats/funnel?period=today" + query, token: tenant.adminToken)
        #expect(response.status == .ok)
        return try response.json()
    }

    func count(_ t: TestApp, _ table: String) async throws -> Int {
        let row = try await (t.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
        return try row!.decode(column: "n", as: Int.self)
    }

    @Test func eventsAreAcceptedBufferedAndCountedInTheFunnel() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let org = tenant.organization.slug
            let visit: [String: Any] = [
                "org": org, "type": "lp_visit", "lp_code": "lp-001", "visitor_id": "v1", "session_id": "s1",
                "url": "https://alpha.example/lp?utm_source=google", "utm_source": "google",
            ]
            let one = try await post(t, visit, contentType: "application/json")
            #expect(one.status == .accepted)
            #expect(one.headers.first(name: .accessControlAllowOrigin) == "https://alpha.example")
            #expect(try one.json()["accepted"] as? Int == 1)
            let batch = try await post(
                t,
                [
                    "org": org,
                    "events": [
                        ["type": "lp_visit", "lp_code": "LP-001", "session_id": "s2"],
                        ["type": "cta_click", "lp_code": "LP-001", "session_id": "s1"],
                        ["type": "form_start", "form_code": "PV-001", "lp_code": "LP-001", "session_id": "s1"],
                        ["type": "form_step", "form_code": "PV-001", "step": 2, "session_id": "s1"],
                    ],
                ])
            #expect(batch.status == .accepted)
            #expect(try batch.json()["accepted"] as? Int == 4)
            await t.app.eventIngest.flush()
            #expect(try await count(t, "tracking_events") == 5)
            let stored = try await (t.db as! any SQLDatabase).raw(
                "SELECT utm_source, lp_id FROM tracking_events WHERE session_id = 's1' AND type = 'lp_visit'"
            ).first()
            #expect(try stored?.decode(column: "utm_source", as: String?.self) == "google")
            #expect(try stored?.decode(column: "lp_id", as: UUID?.self) == tenant.landingPage.id)

            let figures = try await funnel(t, tenant)
            #expect(figures["visits"] as? Int == 2)
            #expect(figures["cta_clicks"] as? Int == 1)
            #expect(figures["form_starts"] as? Int == 1)
            #expect(figures["leads"] as? Int == 1)  // the fixture's lead, stored through the writer
            let rates = try #require(figures["rates"] as? [String: Any])
            #expect(rates["visit_to_cta"] as? Double == 0.5)
            // Filters: the form's funnel includes its LP's visits; another form has none.
            #expect(try await funnel(t, tenant, "&form_code=PV-001")["visits"] as? Int == 2)
            #expect(try await funnel(t, tenant, "&source=\(tenant.source.id!)")["cta_clicks"] as? Int == 1)
            #expect(try await funnel(t, tenant, "&account_id=\(tenant.otherAccount.id!)")["visits"] as? Int == 0)
        }
    }

    @Test func badEventsGetFieldErrorsAndNothingIsKept() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let org = tenant.organization.slug
            let bad = try await post(
                t,
                [
                    "org": org,
                    "events": [
                        ["type": "lp_visit", "lp_code": "LP-001"],
                        ["type": "lp_visit", "lp_code": "LP-999"],
                        ["type": "envol", "lp_code": "LP-001"],
                        ["type": "form_step", "form_code": "PV-001"],
                    ],
                ])
            #expect(bad.status == .unprocessableEntity)
            let errors = try #require(try bad.json()["errors"] as? [String: [String]])
            #expect(errors["events[2].type"] != nil)
            #expect(errors["events[3].step"] != nil)
            let unknown = try await post(t, ["org": org, "events": [["type": "lp_visit", "lp_code": "LP-999"]]])
            #expect(unknown.status == .unprocessableEntity)
            #expect((try unknown.json()["errors"] as? [String: [String]])?["events[0].lp_code"] != nil)
            let noOrg = try await post(t, ["type": "lp_visit", "lp_code": "LP-001"])
            #expect(noOrg.status == .unprocessableEntity)
            #expect((try noOrg.json()["errors"] as? [String: [String]])?["org"] != nil)
            let tooMany = try await post(
                t, ["org": org, "events": Array(repeating: ["type": "lp_visit", "lp_code": "LP-001"], count: 51)])
            #expect(tooMany.status == .unprocessableEntity)
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .userAgent, value: Self.browser)
            headers.replaceOrAdd(name: .contentType, value: "text/plain")
            let garbage = try await t.app.testing().performTest(
                request: TestingHTTPRequest(
                    method: .POST, url: URI(path: "/api/v1/events"), headers: headers, body: ByteBuffer(string: "{nope")
                ))
            #expect(garbage.status == .badRequest)
            // Robots are answered 202 and not counted.
            let robot = try await post(
                t, ["org": org, "type": "lp_visit", "lp_code": "LP-001"], userAgent: "Googlebot/2.1")
            #expect(robot.status == .accepted)
            #expect(try robot.json()["dropped"] as? Int == 1)
            await t.app.eventIngest.flush()
            #expect(try await count(t, "tracking_events") == 0)
            // An LP code of another organization is unknown here.
            let beta = try await t.makeTenant("Beta")
            let other = try await post(t, ["org": beta.organization.slug, "type": "lp_visit", "lp_code": "LP-002"])
            #expect(other.status == .unprocessableEntity)
        }
    }

    @Test func leadsAndDeliveriesAreCountedWhereTheyArrived() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await DeliveryTests().prepare(t, fake: fake)
            // The fixture already stored one lead (its delivery is cancelled by `prepare`).
            let before = try await funnel(t, tenant)["leads"] as? Int ?? 0
            let before75 =
                try await (t.db as! any SQLDatabase).raw(
                    "SELECT CAST(SUM(leads) AS BIGINT) AS l FROM stats_daily_departements WHERE departement = '75'"
                ).first()?.decode(column: "l", as: Int?.self) ?? 0
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .authorization, value: "Token \(tenant.apiKeyRaw)")
            for (phone, lp) in [
                ("0612485378", "LP-001"), ("0612345679", "LP-001"), ("0612485378", "LP-001"), ("0612345680", ""),
            ] {
                var body: [String: Any] = [
                    "form_code": "PV-001", "phone": phone, "code_postal": "75008", "nom": "Dupont",
                    "statut_occupant": "proprietaire", "type_logement": "maison",
                ]
                if !lp.isEmpty { body["lp_code"] = lp }
                let response = try await t.api(.POST, "/api/v1/leads", json: body, headers: headers)
                #expect(response.status == .created)
                t.clock.advance(by: 10)
            }
            var figures = try await funnel(t, tenant)
            #expect(figures["leads"] as? Int == before + 4)
            #expect(figures["duplicates"] as? Int == 1)
            #expect(figures["delivered"] as? Int == 0)
            #expect(try await funnel(t, tenant, "&lp_code=LP-001")["leads"] as? Int == 3)
            try await t.app.deliveryWorker.runOnce()
            figures = try await funnel(t, tenant)
            #expect(figures["delivered"] as? Int == 3)
            let rates = try #require(figures["rates"] as? [String: Any])
            #expect(rates["lead_to_delivered"] as? Double == 3.0 / Double(before + 4))
            let departement = try await (t.db as! any SQLDatabase).raw(
                "SELECT CAST(SUM(leads) AS BIGINT) AS l, CAST(SUM(delivered) AS BIGINT) AS d FROM stats_daily_departements WHERE departement = '75'"
            ).first()
            #expect(try departement?.decode(column: "l", as: Int.self) == before75 + 4)
            #expect(try departement?.decode(column: "d", as: Int.self) == 3)
            // Per hour and per day, every slot present.
            let series = try await t.api(
                .GET, "/api/admin/stats/timeseries?period=today&interval=hour", token: tenant.adminToken)
            #expect(series.status == .ok)
            let points = try #require(try series.json()["points"] as? [[String: Any]])
            #expect((23...25).contains(points.count))
            #expect(points.reduce(0) { $0 + ($1["leads"] as? Int ?? 0) } == before + 4)
            let days = try await t.api(.GET, "/api/admin/stats/timeseries?period=7d", token: tenant.adminToken)
            #expect((try days.json()["points"] as? [[String: Any]])?.count == 7)
        }
    }

    @Test func statsAPIRefusesBadPeriodsAndOtherOrganizationsIds() async throws {
        try await TestApp.run { t in
            let alpha = try await t.makeTenant("Alpha")
            let beta = try await t.makeTenant("Beta")
            let bad = try await t.api(
                .GET, "/api/admin/stats/funnel?from=2026-13-01&to=2026-01-01", token: alpha.adminToken)
            #expect(bad.status == .unprocessableEntity)
            let reversed = try await t.api(
                .GET, "/api/admin/stats/funnel?from=2026-02-01&to=2026-01-01", token: alpha.adminToken)
            #expect(reversed.status == .unprocessableEntity)
            let period = try await t.api(.GET, "/api/admin/stats/funnel?period=forever", token: alpha.adminToken)
            #expect(period.status == .unprocessableEntity)
            let unknownCode = try await t.api(.GET, "/api/admin/stats/funnel?lp_code=LP-777", token: alpha.adminToken)
            #expect(unknownCode.status == .unprocessableEntity)
            for query in ["account_id=\(beta.account.id!)", "crm_id=\(beta.crm.id!)", "source=\(beta.source.id!)"] {
                let response = try await t.api(.GET, "/api/admin/stats/funnel?\(query)", token: alpha.adminToken)
                #expect(response.status == .notFound, "\(query)")
            }
            let custom = try await t.api(
                .GET, "/api/admin/stats/funnel?from=2026-09-01&to=2026-09-30", token: alpha.viewerToken)
            #expect(custom.status == .ok)
            #expect(try custom.json()["to"] as? String == "2026-09-30")
            let anonymous = try await t.api(.GET, "/api/admin/stats/funnel")
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func restrictedUsersSeeOnlyTheirAccountsTraffic() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let other = try await t.makeForm(
                in: tenant.id, account: tenant.otherAccount, name: "Deux", product: "PV", code: "PV-002")
            _ = other
            let org = tenant.organization.slug
            #expect(
                try await post(
                    t,
                    [
                        "org": org,
                        "events": [
                            ["type": "form_start", "form_code": "PV-001"],
                            ["type": "form_start", "form_code": "PV-002"],
                            ["type": "form_start", "form_code": "PV-002"],
                        ],
                    ]
                ).status == .accepted)
            await t.app.eventIngest.flush()
            #expect(try await funnel(t, tenant)["form_starts"] as? Int == 3)
            let (_, token) = try await t.makeUser(
                in: tenant.id, role: .viewer, email: "compte@alpha.test", accountIds: [tenant.account.id!])
            let mine = try await t.api(.GET, "/api/admin/stats/funnel?period=today", token: token)
            #expect(try mine.json()["form_starts"] as? Int == 1)
        }
    }

    @Test func redirectLinksCountTheClickAndCarryTheAttribution() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let org = tenant.organization.slug
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .userAgent, value: Self.browser)
            let click = try await t.app.testing().performTest(
                request: TestingHTTPRequest(
                    method: .GET,
                    url: URI(
                        string: "/r/lp-001?org=\(org)&utm_source=facebook&utm_campaign=pac%20hiver&lh_session=abc123"),
                    headers: headers, body: ByteBuffer()))
            #expect(click.status == .found)
            let location = try #require(click.headers.first(name: .location))
            let components = try #require(URLComponents(string: location))
            let query = Dictionary(
                uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(location.hasPrefix(tenant.form.url!))
            #expect(query["lp"] == "LP-001")
            #expect(query["utm_source"] == "facebook")
            #expect(query["utm_campaign"] == "pac hiver")
            #expect(query["lh_session"] == "abc123")
            #expect(query["lh_visitor"]?.isEmpty == false)
            await t.app.eventIngest.flush()
            #expect(try await funnel(t, tenant)["cta_clicks"] as? Int == 1)

            let go = try await t.app.testing().performTest(
                request: TestingHTTPRequest(
                    method: .GET, url: URI(string: "/go/PV-001?org=\(org)&gclid=xyz"), headers: headers,
                    body: ByteBuffer()))
            #expect(go.status == .found)
            #expect(go.headers.first(name: .location)?.contains("gclid=xyz") == true)
            let missing = try await t.api(.GET, "/r/LP-001")
            #expect(missing.status == .notFound)
            let unknown = try await t.api(.GET, "/r/LP-404?org=\(org)")
            #expect(unknown.status == .notFound)
        }
    }

    @Test func theScriptIsServedVersionedAndCacheable() async throws {
        try await TestApp.run { t in
            let version = t.app.trackerScript.version
            let plain = try await t.api(.GET, "/t.js")
            #expect(plain.status == .ok)
            #expect(plain.headers.contentType?.subType == "javascript")
            #expect(plain.headers.first(name: .cacheControl) == "public, max-age=300")
            #expect(plain.body.string.contains("sendBeacon"))
            #expect(plain.body.readableBytes < 16_000)
            let versioned = try await t.api(.GET, "/t.js?v=\(version)")
            #expect(versioned.headers.first(name: .cacheControl)?.contains("immutable") == true)
        }
    }

    @Test func theDashboardShowsKPIsChartsTablesAndRankings() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let org = tenant.organization.slug
            var events: [[String: Any]] = []
            for n in 0..<40 { events.append(["type": "lp_visit", "lp_code": "LP-001", "session_id": "s\(n)"]) }
            for n in 0..<10 { events.append(["type": "cta_click", "lp_code": "LP-001", "session_id": "s\(n)"]) }
            #expect(try await post(t, ["org": org, "events": Array(events.prefix(50))]).status == .accepted)
            await t.app.eventIngest.flush()
            _ = try await t.makeLead(
                form: tenant.form, account: tenant.account,
                fields: ["phone": .string("06 55 44 33 22"), "nom": .string("Lyon"), "code_postal": .string("69003")])
            let session = try await t.login(email: tenant.admin.email)
            let page = try await t.browse(.GET, "/", session: session)
            #expect(page.status == .ok)
            let html = page.text
            // The map of France: every département, the Rhône's lead in its tile, the table named.
            #expect(html.contains("<title id=\"map-leads-title\">Leads par département</title>"))
            #expect(html.contains("<title>69 Rhône : 1 lead (100 %)</title><rect class=\"map-5\""))
            #expect(html.contains("<td>69 Rhône</td>"))
            #expect(html.contains("<svg class=\"chart\""))
            #expect(html.contains("role=\"img\""))
            #expect(html.contains("<title id=\"funnel-title\">Entonnoir de conversion</title>"))
            #expect(html.contains("Visites : 40"))
            #expect(html.contains("Clics CTA : 10 (25 %)"))
            #expect(html.contains("LP-001 · Alpha Landing"))
            #expect(html.contains("CRM contre CRM"))
            // 40 visits: enough volume to be ranked.
            #expect(html.contains("Meilleures"))
            let yesterday = try await t.browse(.GET, "/?period=yesterday", session: session).text
            #expect(yesterday.contains("Visites : 0"))
            let invalid = try await t.browse(.GET, "/?period=custom&from=2026-05-10&to=2026-05-01", session: session)
            #expect(invalid.status == .ok)
            #expect(invalid.text.contains("Dates invalides"))
            let custom = try await t.browse(.GET, "/?period=custom&from=2026-09-01&to=2026-09-30", session: session)
                .text
            #expect(custom.contains("du 1 septembre 2026 au 30 septembre 2026"))
        }
    }

    @Test func cardsShowLiveStatsAndCountFromAResetWithoutDeletingAnything() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let org = tenant.organization.slug
            #expect(
                try await post(
                    t,
                    [
                        "org": org,
                        "events": [
                            ["type": "lp_visit", "lp_code": "LP-001"], ["type": "lp_visit", "lp_code": "LP-001"],
                            ["type": "cta_click", "lp_code": "LP-001"], ["type": "form_start", "form_code": "PV-001"],
                        ],
                    ]
                ).status == .accepted)
            await t.app.eventIngest.flush()
            let session = try await t.login(email: tenant.admin.email)
            var cards = try await t.browse(.GET, "/landing-pages?period=today", session: session).text
            #expect(cards.contains("<strong>2</strong> visites"))
            #expect(cards.contains("<strong>1</strong> clics"))
            let forms = try await t.browse(.GET, "/forms", session: session).text
            #expect(forms.contains("<strong>1</strong> départs"))

            t.clock.advance(by: 60)
            let reset = try await t.browse(
                .POST, "/landing-pages/\(tenant.landingPage.id!)/actions", session: session,
                form: ["action": "reset-stats"])
            #expect(reset.status == .seeOther)
            cards = try await t.browse(.GET, "/landing-pages?period=today", session: session).text
            #expect(
                cards.contains("<strong>0</strong> visites"),
                "\(cards.components(separatedBy: "card-stats").dropFirst().first?.prefix(700) ?? "")")
            #expect(cards.contains("depuis le"))
            // The dashboard still counts everything.
            #expect(try await funnel(t, tenant)["visits"] as? Int == 2)
            let activity = try await ActivityEntry.query(on: t.db).filter(\.$objectType == "landing_page").all().map(
                \.summary)
            #expect(activity.contains { $0.contains("à partir de maintenant") })
            _ = try await t.browse(
                .POST, "/landing-pages/\(tenant.landingPage.id!)/actions", session: session,
                form: ["action": "count-all-stats"])
            cards = try await t.browse(.GET, "/landing-pages?period=today", session: session).text
            #expect(cards.contains("<strong>2</strong> visites"))
            // Viewers cannot reset.
            let viewer = try await t.makeUser(in: tenant.id, role: .viewer, email: "lecteur2@alpha.test")
            _ = viewer
            let viewerSession = try await t.login(email: "lecteur2@alpha.test")
            let refused = try await t.browse(
                .POST, "/forms/\(tenant.form.id!)/actions", session: viewerSession, form: ["action": "reset-stats"])
            #expect(refused.status == .forbidden)
        }
    }

    @Test func theEventsEndpointIsInTheAPIDescriptionAndItsFrenchPage() async throws {
        try await TestApp.run { t in
            let spec = try await t.api(.GET, "/api/openapi.json").json()
            let paths = try #require(spec["paths"] as? [String: Any])
            let post = try #require((paths["/api/v1/events"] as? [String: Any])?["post"] as? [String: Any])
            #expect((post["security"] as? [Any])?.isEmpty == true)
            let responses = try #require(post["responses"] as? [String: Any])
            #expect(Set(responses.keys) == ["202", "400", "413", "415", "422", "429", "503"])
            let body = try #require(
                ((((post["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"]
                    as? [String: Any])?["schema"])
                    as? [String: Any])
            let properties = try #require(body["properties"] as? [String: Any])
            #expect(
                (properties["type"] as? [String: Any])?["enum"] as? [String] == [
                    "lp_visit", "cta_click", "form_start", "form_step",
                ])
            #expect((properties["events"] as? [String: Any])?["maxItems"] as? Int == 50)
            let page = try await t.api(.GET, "/docs/api")
            #expect(page.text.contains("<h2>Événements de suivi</h2>"))
        }
    }

    @Test func rawEventsOlderThanTheRetentionAreDeletedAndTheAggregatesStay() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let now = t.clock.now()
            func item(daysAgo: Double) -> EventIngest.Item {
                let at = now.addingTimeInterval(-daysAgo * 86_400)
                return EventIngest.Item(
                    organizationId: tenant.id, event: TrackingEvent(type: .lpVisit, lpCode: "LP-001", sessionId: "s"),
                    lpId: tenant.landingPage.id, formId: tenant.form.id,
                    stats: StatsIncrements.HourKey(
                        organizationId: tenant.id, hour: StatsHour.bucket(at), lp: tenant.landingPage.id!.uuidString),
                    receivedAt: at)
            }
            let old = (0..<2_500).map { _ in item(daysAgo: 400) }
            try await EventIngest.write(old + [item(daysAgo: 394), item(daysAgo: 1)], on: t.db)
            #expect(try await count(t, "tracking_events") == 2_502)
            #expect(t.app.config.eventsRetentionDays == 395)

            // More than one batch: all of the old ones go, the recent ones and the counts stay.
            #expect(try await EventRetention.purge(app: t.app, now: now) == 2_500)
            #expect(try await count(t, "tracking_events") == 2)
            let visits = try await (t.db as! any SQLDatabase).raw(
                "SELECT CAST(SUM(\"visits\") AS BIGINT) AS n FROM \"stats_hourly\""
            ).first()
            #expect(try visits?.decode(column: "n", as: Int.self) == 2_502)
            // From the background loop: at most once an hour across the cluster, whichever process
            // runs it (two monitors, as two servers on one database would have).
            try await EventIngest.write([item(daysAgo: 500)], on: t.db)
            let one = AlertMonitor(app: t.app, leases: JobLeases(owner: "serveur-1"))
            let two = AlertMonitor(app: t.app, leases: JobLeases(owner: "serveur-2"))
            #expect(await one.runOnce(interval: 60).contains(AlertMonitor.retentionJob))
            #expect(try await count(t, "tracking_events") == 2)
            try await EventIngest.write([item(daysAgo: 500)], on: t.db)
            t.clock.advance(by: 3_000)
            #expect(await two.runOnce(interval: 60).contains(AlertMonitor.retentionJob) == false)
            #expect(await one.runOnce(interval: 60).contains(AlertMonitor.retentionJob) == false)
            #expect(try await count(t, "tracking_events") == 3)
            t.clock.advance(by: 660)
            #expect(await two.runOnce(interval: 60).contains(AlertMonitor.retentionJob))
            #expect(try await count(t, "tracking_events") == 2)
        }
    }
}
