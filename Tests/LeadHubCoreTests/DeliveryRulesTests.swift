import Foundation
import Testing

@testable import LeadHubCore

@Suite struct DeliveryRulesTests {
    @Test(
        arguments: [
            (201, "{\"id\": 12}", nil, DeliveryOutcome.delivered),
            (200, "{\"status\": \"Doublon\"}", nil, .duplicate),
            (200, "ok", nil, .delivered),
            (400, "téléphone manquant", nil, .refused("HTTP 400 : téléphone manquant")),
            (403, "bad token", nil, .authError("HTTP 403 : bad token")),
            (401, "", nil, .authError("HTTP 401 : (réponse vide)")),
            (500, "boom", nil, .retryable("HTTP 500 : boom", retryAfter: nil)),
            (429, "slow down", "30", .retryable("HTTP 429 : slow down", retryAfter: 30)),
            (503, "maintenance", "abc", .retryable("HTTP 503 : maintenance", retryAfter: nil)),
            (404, "not found", nil, .refused("HTTP 404 : not found")),
        ] as [(Int, String, String?, DeliveryOutcome)])
    func classifiesTheCrmsAnswer(status: Int, body: String, retryAfter: String?, expected: DeliveryOutcome) {
        #expect(DeliveryOutcome.classify(status: status, body: body, retryAfter: retryAfter) == expected)
    }

    @Test func scheduleWaitsLongerEachTimeThenGivesUp() {
        let schedule = RetrySchedule.standard
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(schedule.nextAttempt(after: 1, from: now, jitter: 0) == now.addingTimeInterval(60))
        #expect(schedule.nextAttempt(after: 2, from: now, jitter: 0) == now.addingTimeInterval(300))
        #expect(schedule.nextAttempt(after: 8, from: now, jitter: 0) == now.addingTimeInterval(86_400))
        #expect(schedule.nextAttempt(after: 9, from: now, jitter: 0) == nil)
        #expect(schedule.nextAttempt(after: 1, from: now, jitter: 0.999)! < now.addingTimeInterval(66.1))
        #expect(schedule.maxAttempts == 9)
        let retry = DeliveryOutcome.retryable("x", retryAfter: nil)
        #expect(retry.status(attempts: 8, schedule: schedule) == .retrying)
        #expect(retry.status(attempts: 9, schedule: schedule) == .exhausted)
    }

    @Test func scheduleIsReadFromTheEnvironmentFormat() {
        #expect(RetrySchedule(parsing: "1, 2,3")?.delays == [1, 2, 3])
        #expect(RetrySchedule(parsing: "1,x") == nil)
        #expect(RetrySchedule(parsing: "") == nil)
        #expect(RetrySchedule(parsing: "-1") == nil)
    }

    let lead = OutgoingLead(
        id: UUID(uuidString: "0190F0A0-0000-7000-8000-000000000001")!, phoneE164: "+33612345678",
        receivedAt: Date(timeIntervalSince1970: 1_764_000_000), productType: "PV", formCode: "PV-001",
        fields: [
            "nom": "Martin", "prenom": "Léa", "departement": "75", "code_postal": "75008", "type_logement": "maison",
        ],
        extra: ["source_page": .string("home")])

    @Test func zr7BodyHasTheNationalPhoneAndCustomFields() {
        guard
            case .object(let body) = PartnerPayload.zr7(
                lead, mapping: ["type_logement": "logement", "code_postal": ""])
        else { Issue.record("not an object"); return }
        #expect(body["phone"] == .string("0612345678"))
        #expect(body["register_date"] == .number(1_764_000_000))
        #expect(body["nom"] == .string("Martin"))
        guard case .object(let custom) = body["custom_fields"] else { Issue.record("no custom fields"); return }
        #expect(custom["departement"] == .object(["value": .string("75")]))
        #expect(custom["logement"] == .object(["value": .string("maison")]))
        #expect(custom["code_postal"] == nil)
        #expect(custom["product_type"] == .object(["value": .string("PV")]))
    }

    @Test func webhookBodyIsFlatAndMapped() {
        guard case .object(let body) = PartnerPayload.webhook(lead, mapping: ["phone": "telephone"]) else {
            Issue.record("not an object")
            return
        }
        #expect(body["telephone"] == .string("+33612345678"))
        #expect(body["phone"] == nil)
        #expect(body["lead_id"] == .string("0190f0a0-0000-7000-8000-000000000001"))
        #expect(body["extra"] == .object(["source_page": .string("home")]))
        #expect(PartnerPayload.signedContent(timestamp: 12, body: "{}") == "12.{}")
    }

    @Test func theConsentRecordGoesToWebhooksAndToZr7OnlyUnderAMappedName() {
        let consenting = OutgoingLead(
            id: lead.id, phoneE164: lead.phoneE164, receivedAt: lead.receivedAt, productType: "PV", formCode: "PV-001",
            fields: lead.fields, extra: [:],
            consent: [
                "consent_phone": "true", "consent_text": "J'accepte d'être rappelé", "consent_text_hash": "ab12",
                "consent_at": "2026-12-03T10:00:00Z", "consent_ip": "203.0.113.7",
            ])
        guard case .object(let hook) = PartnerPayload.webhook(consenting, mapping: ["consent_ip": ""]) else {
            Issue.record("not an object")
            return
        }
        #expect(hook["consent_phone"] == .string("true") && hook["consent_text_hash"] == .string("ab12"))
        #expect(hook["consent_ip"] == nil)  // left out by the mapping
        guard case .object(let plain) = PartnerPayload.zr7(consenting),
            case .object(let plainCustom) = plain["custom_fields"]
        else { Issue.record("not an object"); return }
        #expect(plainCustom.keys.allSatisfy { !$0.hasPrefix("consent") })
        guard case .object(let mapped) = PartnerPayload.zr7(consenting, mapping: ["consent_phone": "optin_tel"]),
            case .object(let custom) = mapped["custom_fields"]
        else { Issue.record("not an object"); return }
        #expect(custom["optin_tel"] == .object(["value": .string("true")]))
        #expect(custom["consent_text"] == nil)
    }

    @Test func periodsAreParisWeeksAndMonths() {
        // Sunday 30 November 2025, 23:30 in Paris (22:30 UTC): ISO week 48, November.
        let sunday = Date(timeIntervalSince1970: 1_764_541_800)
        #expect(RoutingPeriod.keys(for: sunday) == ("2025-W48", "2025-11"))
        // One hour later it is Monday 1 December in Paris.
        #expect(RoutingPeriod.keys(for: sunday.addingTimeInterval(3_600)) == ("2025-W49", "2025-12"))
    }
}

@Test func excerptIsOneCleanLine() {
    #expect(DeliveryOutcome.excerpt("a\nb\u{0}c\u{7}") == "a b c")
    #expect(DeliveryOutcome.excerpt(String(repeating: "x", count: 400)).count == 301)
}

@Test func regionsCoverMetropolitanFranceOnce() {
    let metropolitan = Departement.regions.filter { $0.name != "Outre-mer" }.flatMap(\.codes)
    #expect(metropolitan.count == 96)
    #expect(Set(metropolitan) == Set(Departement.metropolitan))
    #expect(Departement.regions.flatMap(\.codes).allSatisfy(Departement.isValid))
}

@Suite struct BillingRulesTests {
    let zr7 = UUID(uuidString: "00000000-0000-0000-0000-0000000000A1")!
    let mdl = UUID(uuidString: "00000000-0000-0000-0000-0000000000B2")!

    @Test func matrixSumsExactlyInCentsAndDropsEmptyLines() {
        let matrix = BillingMatrix(lines: [
            BillingLine(fromCrmId: zr7, toCrmId: mdl, productType: "PV", leads: 3, unitPriceCents: 2_550),
            BillingLine(fromCrmId: zr7, toCrmId: mdl, productType: "PV", leads: 1, unitPriceCents: 3_000),
            BillingLine(fromCrmId: mdl, toCrmId: zr7, productType: "PAC", leads: 2, unitPriceCents: 1_999),
            BillingLine(fromCrmId: mdl, toCrmId: zr7, productType: "ITE", leads: 0, unitPriceCents: 1_000),
        ])
        #expect(matrix.lines.count == 3)
        #expect(matrix.totalCents == 3 * 2_550 + 3_000 + 2 * 1_999)
        #expect(matrix.totalLeads == 6)
        #expect(matrix.between(zr7, mdl).count == 2)
        #expect(matrix.pairs.count == 2)
    }

    @Test func monthsAreParisCalendarMonths() {
        // 30 November 2025, 23:30 in Paris is still November; an hour later it is December.
        let late = Date(timeIntervalSince1970: 1_764_541_800)
        #expect(BillingPeriod.month(containing: late) == ("2025-11-01", "2025-11-30"))
        #expect(BillingPeriod.month(containing: late.addingTimeInterval(3_600)) == ("2025-12-01", "2025-12-31"))
        #expect(BillingPeriod.previousMonth(of: late) == ("2025-10-01", "2025-10-31"))
        #expect(
            BillingPeriod.month(containing: Date(timeIntervalSince1970: 1_709_000_000)) == ("2024-02-01", "2024-02-29"))
    }
}

@Suite struct AlertRulesTests {
    let crm = UUID(uuidString: "00000000-0000-0000-0000-0000000000A1")!
    let form = UUID(uuidString: "00000000-0000-0000-0000-0000000000F1")!
    /// Thursday 26 November 2026, 14:00 in Paris.
    let afternoon = Date(timeIntervalSince1970: 1_795_698_000)

    func snapshot(
        auth: Int = 0, failures: Int = 0, attempts: Int = 0, successes: Int = 0, waiting: Int = 0,
        oldest: TimeInterval? = nil,
        exhausted: Int = 0, lastLead: TimeInterval? = 600, at now: Date? = nil
    ) -> AlertSnapshot {
        let now = now ?? afternoon
        return AlertSnapshot(
            now: now,
            crms: [
                .init(
                    id: crm, name: "ZR7", authErrorsLastHour: auth, consecutiveFailures: failures,
                    attempts24h: attempts, successes24h: successes)
            ],
            waiting: waiting, oldestWaitingAt: oldest.map { now.addingTimeInterval(-$0) }, exhaustedLastDay: exhausted,
            forms: [
                .init(
                    id: form, code: "PV-001", lastLeadAt: lastLead.map { now.addingTimeInterval(-$0) },
                    leadsLastWeek: 40)
            ])
    }

    @Test func quietOrganizationHasNoAlert() {
        #expect(AlertRules.evaluate(snapshot(attempts: 100, successes: 95)).isEmpty)
    }

    @Test func eachConditionRaisesItsOwnKey() {
        let keys = AlertRules.evaluate(
            snapshot(auth: 1, failures: 6, waiting: 800, oldest: 3_600, exhausted: 2, lastLead: 5 * 3_600)
        ).map(\.key)
        #expect(
            keys == [
                "crm_auth:\(crm.uuidString)", "crm_failing:\(crm.uuidString)", "queue_backlog", "queue_oldest",
                "deliveries_exhausted", "form_silent:\(form.uuidString)",
            ])
    }

    @Test func lowSuccessRateNeedsEnoughAttempts() {
        #expect(AlertRules.evaluate(snapshot(attempts: 10, successes: 2)).isEmpty)
        #expect(AlertRules.evaluate(snapshot(attempts: 40, successes: 20)).map(\.category) == ["crm_failing"])
    }

    @Test func silentFormsAreOnlyReportedInDaytime() {
        let night = afternoon.addingTimeInterval(10 * 3_600)  // midnight in Paris
        #expect(AlertRules.evaluate(snapshot(lastLead: 8 * 3_600, at: night)).isEmpty)
        #expect(AlertRules.evaluate(snapshot(lastLead: 8 * 3_600)).map(\.category) == ["traffic"])
    }
}

@Suite struct SummaryScheduleTests {
    /// Monday 23 November 2026 at 7:30 in Paris.
    let mondayMorning = Date(timeIntervalSince1970: 1_795_415_400)

    @Test func mondayMorningSendsYesterdayAndLastWeekOnce() {
        let due = SummarySchedule.due(now: mondayMorning, lastDaily: nil, lastWeekly: nil)
        #expect(due.map(\.key) == ["2026-11-22", "2026-W47"])
        #expect(due[1].label == "semaine du 16 au 22 novembre 2026")
        #expect(SummarySchedule.due(now: mondayMorning, lastDaily: "2026-11-22", lastWeekly: "2026-W47").isEmpty)
    }

    @Test func nothingBeforeSevenAndOnlyTheDailyOtherDays() {
        #expect(
            SummarySchedule.due(now: mondayMorning.addingTimeInterval(-3_600), lastDaily: nil, lastWeekly: nil).isEmpty)
        let tuesday = mondayMorning.addingTimeInterval(86_400)
        #expect(
            SummarySchedule.due(now: tuesday, lastDaily: "2026-11-22", lastWeekly: "2026-W47").map(\.key) == [
                "2026-11-23"
            ])
    }
}
