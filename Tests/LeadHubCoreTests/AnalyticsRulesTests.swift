import Foundation
import Testing

@testable import LeadHubCore

@Suite struct TrackingRulesTests {
    @Test func aSingleEventIsValidatedAndNormalized() throws {
        let body = try JSONParser.parse(
            Array(
                #"{"type":"lp_visit","lp_code":" lp-001 ","session_id":"s-1","utm_source":"google","url":"https://a.fr/lp"}"#
                    .utf8))
        let events = try EventSubmission.parse(body).get()
        #expect(
            events == [
                TrackingEvent(
                    type: .lpVisit, lpCode: "LP-001", sessionId: "s-1", url: "https://a.fr/lp",
                    attribution: ["utm_source": "google"])
            ])
    }

    @Test func batchErrorsNameThePositionAndTheField() throws {
        let body = try JSONParser.parse(
            Array(
                #"{"events":[{"type":"cta_click"},{"type":"form_step","form_code":"PV-001","step":0},{"type":"form_start","form_code":"PV 1"},{"type":"lp_visit","lp_code":"LP-1","url":"javascript:x"}]}"#
                    .utf8))
        guard case .failure(let errors) = EventSubmission.parse(body) else { Issue.record("accepted"); return }
        #expect(errors.first("events[0].lp_code") != nil)
        #expect(errors.first("events[1].step") != nil)
        #expect(errors.first("events[2].form_code") != nil)
        #expect(errors.first("events[3].url") != nil)
    }

    @Test func batchesAreBoundedAndNotEmpty() throws {
        let many =
            "{\"events\":["
            + Array(repeating: #"{"type":"lp_visit","lp_code":"LP-1"}"#, count: 51).joined(separator: ",") + "]}"
        guard case .failure(let errors) = EventSubmission.parse(try JSONParser.parse(Array(many.utf8))) else {
            Issue.record("accepted"); return
        }
        #expect(errors.first("events")?.contains("50") == true)
        guard case .failure = EventSubmission.parse(try JSONParser.parse(Array(#"{"events":[]}"#.utf8))) else {
            Issue.record("accepted"); return
        }
        let fifty =
            "{\"events\":["
            + Array(repeating: #"{"type":"lp_visit","lp_code":"LP-1"}"#, count: 50).joined(separator: ",") + "]}"
        #expect(try EventSubmission.parse(try JSONParser.parse(Array(fifty.utf8))).get().count == 50)
    }

    @Test(arguments: [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36", false),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1",
            false
        ),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/126.0 Safari/537.36", true),
        ("curl/8.5.0", true), ("python-requests/2.31", true), ("", true),
    ])
    func robotsAreRecognized(userAgent: String, bot: Bool) {
        #expect(BotFilter.isBot(userAgent: userAgent) == bot)
    }

    @Test func attributionIsCarriedWithoutOverwritingTheFormURL() {
        let url = AttributionCarry.url(
            "https://form.example/pv?utm_source=site&x=1",
            adding: [
                "utm_source": "google", "utm_campaign": "été 2026", "lh_session": "s1", "lp": "LP-001", "other": "no",
                "gclid": "",
            ])
        let items = URLComponents(string: url)!.queryItems!
        let query = Dictionary(uniqueKeysWithValues: items.map { ($0.name, $0.value!) })
        #expect(
            query == ["utm_source": "site", "x": "1", "utm_campaign": "été 2026", "lh_session": "s1", "lp": "LP-001"])
        #expect(AttributionCarry.url("https://form.example/", adding: [:]) == "https://form.example/")
    }

    @Test func webAddressesAreCheckedWithoutAFullParse() {
        #expect(EventSubmission.isWebAddress("https://a.fr/lp?utm_source=x"))
        #expect(EventSubmission.isWebAddress("HTTP://A.FR"))
        #expect(!EventSubmission.isWebAddress("https://"))
        #expect(!EventSubmission.isWebAddress("https:///path"))
        #expect(!EventSubmission.isWebAddress("https://a.fr/x y"))
        #expect(!EventSubmission.isWebAddress("ftp://a.fr"))
        #expect(!EventSubmission.isWebAddress("javascript:alert(1)"))
    }

    @Test func timeOrderedIdsAreVersion7AndSortByTime() {
        let early = TimeOrderedID.make(at: Date(timeIntervalSince1970: 1_800_000_000))
        let late = TimeOrderedID.make(at: Date(timeIntervalSince1970: 1_800_000_001))
        #expect(early.uuidString < late.uuidString)
        #expect(early.uuid.6 >> 4 == 7)
        #expect(early.uuid.8 >> 6 == 2)
        #expect(
            Set((0..<1_000).map { _ in TimeOrderedID.make(at: Date(timeIntervalSince1970: 1_800_000_000)) }).count
                == 1_000)
    }

    @Test func aSessionEndsAfterThirtyMinutesWithoutActivity() {
        let last = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(SessionRule.continues(lastActivity: last, now: last.addingTimeInterval(29 * 60 + 59)))
        #expect(!SessionRule.continues(lastActivity: last, now: last.addingTimeInterval(30 * 60)))
        #expect(!SessionRule.continues(lastActivity: nil, now: last))
        #expect(!SessionRule.continues(lastActivity: last, now: last.addingTimeInterval(-5)))
    }
}

@Suite struct AnalyticsPeriodTests {
    /// 2026-11-27 10:00 in Paris (UTC+1).
    let now = ISO8601DateFormatter().date(from: "2026-11-27T09:00:00Z")!
    func paris(_ text: String) -> Date { ParisDay.start(of: text)! }

    @Test func periodsAreParisDays() {
        #expect(
            AnalyticsPeriod.today.range(now: now) == DateInterval(start: paris("2026-11-27"), end: paris("2026-11-28")))
        #expect(paris("2026-11-27") == ISO8601DateFormatter().date(from: "2026-11-26T23:00:00Z"))
        #expect(AnalyticsPeriod.yesterday.range(now: now).start == paris("2026-11-26"))
        #expect(
            AnalyticsPeriod.last7Days.range(now: now)
                == DateInterval(start: paris("2026-11-21"), end: paris("2026-11-28")))
        #expect(
            AnalyticsPeriod.thisMonth.range(now: now)
                == DateInterval(start: paris("2026-11-01"), end: paris("2026-12-01")))
        #expect(
            AnalyticsPeriod.lastMonth.range(now: now)
                == DateInterval(start: paris("2026-10-01"), end: paris("2026-11-01")))
        #expect(
            AnalyticsPeriod.lastMonth.previousRange(now: now)
                == DateInterval(start: paris("2026-09-01"), end: paris("2026-10-01")))
        #expect(
            AnalyticsPeriod.last7Days.previousRange(now: now)
                == DateInterval(start: paris("2026-11-14"), end: paris("2026-11-21")))
        // Just after midnight in Paris is already the next day, while UTC is still the day before.
        let late = ISO8601DateFormatter().date(from: "2026-11-26T23:30:00Z")!
        #expect(AnalyticsPeriod.today.range(now: late).start == paris("2026-11-27"))
    }

    @Test func theWeekStartsOnMondayInParis() {
        // Friday 27 November 2026: the week began on Monday the 23rd.
        #expect(AnalyticsPeriod.named("week") == .thisWeek && AnalyticsPeriod.named("semaine") == .thisWeek)
        #expect(
            AnalyticsPeriod.thisWeek.range(now: now)
                == DateInterval(start: paris("2026-11-23"), end: paris("2026-11-30")))
        #expect(
            AnalyticsPeriod.thisWeek.previousRange(now: now)
                == DateInterval(start: paris("2026-11-16"), end: paris("2026-11-23")))
        // Sunday 23:30 in Paris is still that week; Monday 00:30 is the next one.
        let sunday = ISO8601DateFormatter().date(from: "2026-11-29T22:30:00Z")!
        #expect(AnalyticsPeriod.thisWeek.range(now: sunday).start == paris("2026-11-23"))
        let monday = ISO8601DateFormatter().date(from: "2026-11-29T23:30:00Z")!
        #expect(AnalyticsPeriod.thisWeek.range(now: monday).start == paris("2026-11-30"))
        // The week of the autumn change lasts 7 days and 169 hours.
        let autumn = AnalyticsPeriod.thisWeek.range(now: ISO8601DateFormatter().date(from: "2026-10-24T12:00:00Z")!)
        #expect(autumn.start == paris("2026-10-19") && autumn.duration == 169 * 3_600)
    }

    @Test func daylightSavingDaysLast23And25Hours() {
        // Clocks go forward on 2026-03-29 and back on 2026-10-25 in Paris.
        let spring = AnalyticsPeriod.custom(from: "2026-03-29", to: "2026-03-29").range(now: now)
        #expect(spring.duration == 23 * 3_600)
        let autumn = AnalyticsPeriod.custom(from: "2026-10-25", to: "2026-10-25").range(now: now)
        #expect(autumn.duration == 25 * 3_600)
        // Hour buckets cover each day exactly.
        #expect(StatsHour.bucket(autumn.end) - StatsHour.bucket(autumn.start) == 25)
        // A custom week across the change compares with the seven days before it.
        let week = AnalyticsPeriod.custom(from: "2026-10-22", to: "2026-10-28")
        #expect(ParisDay.count(from: week.range(now: now).start, to: week.range(now: now).end) == 7)
        #expect(week.previousRange(now: now) == DateInterval(start: paris("2026-10-15"), end: paris("2026-10-22")))
        #expect(
            ParisDay.number(paris("2026-10-25").addingTimeInterval(24.5 * 3_600))
                == ParisDay.number(paris("2026-10-25")))
        #expect(ParisDay.number(paris("2026-10-26")) == ParisDay.number(paris("2026-10-25")) + 1)
    }

    @Test func customPeriodsAreChecked() {
        #expect(AnalyticsPeriod.named("custom", from: "2026-02-30", to: "2026-03-01") == nil)
        #expect(AnalyticsPeriod.named("custom", from: "2026-03-02", to: "2026-03-01") == nil)
        #expect(
            AnalyticsPeriod.named("custom", from: "2026-03-01", to: "2026-03-01")
                == .custom(from: "2026-03-01", to: "2026-03-01"))
        #expect(AnalyticsPeriod.named("never") == nil)
        #expect(AnalyticsPeriod.named(nil) == .last7Days)
    }

    @Test func funnelRatesAndChanges() {
        let counts = FunnelCounts(visits: 200, ctaClicks: 50, formStarts: 20, leads: 10, delivered: 8, duplicates: 1)
        #expect(counts.rates["visit_to_cta"] == 0.25)
        #expect(counts.rates["form_start_to_lead"] == 0.5)
        #expect(counts.rates["lead_to_delivered"] == 0.8)
        #expect(FunnelCounts().rates["visit_to_cta"] == .some(nil))
        #expect(FunnelCounts.change(15, from: 10) == 0.5)
        #expect(FunnelCounts.change(3, from: 0) == nil)
        #expect((counts + counts).leads == 20)
    }
}

@Suite struct SVGChartsTests {
    @Test func theFunnelIsAnAccessibleImageWithEscapedLabels() {
        let svg = SVGCharts.funnel(
            [.init("Visites", 200), .init("Clics <CTA>", 50), .init("Leads", 0)], id: "f1", title: "Entonnoir & co")
        #expect(svg.hasPrefix("<svg class=\"chart\""))
        #expect(svg.contains("role=\"img\" aria-labelledby=\"f1-title f1-desc\""))
        #expect(svg.contains("<title id=\"f1-title\">Entonnoir &amp; co</title>"))
        #expect(svg.contains("Clics &lt;CTA&gt;"))
        #expect(svg.contains("Clics &lt;CTA&gt; : 50 (25 %)"))
        #expect(svg.contains("Leads : 0 (0,0 %)"))
        #expect(!svg.contains("style="))
    }

    @Test func barsScaleToTheLargestValueAndLabelEveryFewSlots() {
        let slots = (0..<24).map { SVGCharts.Bar("\($0)h", [$0, $0 / 2]) }
        let svg = SVGCharts.bars(slots, series: ["Leads", "Livrés"], id: "s", title: "Par heure")
        #expect(svg.contains(">23<"))  // the top tick is the largest value
        #expect(svg.contains("Leads : 276 au total ; Livrés : 132 au total"))
        #expect(svg.components(separatedBy: "class=\"chart-tick\"").count - 1 == 2 + 8)
        #expect(SVGCharts.bars([], series: ["Leads"], id: "e", title: "Vide").contains("Leads : 0 au total"))
    }
}
