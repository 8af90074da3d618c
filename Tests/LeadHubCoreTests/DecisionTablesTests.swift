import Foundation
import Testing

@testable import LeadHubCore

/// The pure decisions moved out of the application: each as a table of cases.
@Suite struct IntakeRulesTableTests {
    static let org = UUID(uuidString: "00000000-0000-0000-0000-0000000000A1")!
    static let otherOrg = UUID(uuidString: "00000000-0000-0000-0000-0000000000B2")!
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    static func candidate(
        _ n: Int, org: UUID = org, key: String? = nil, hash: String = "h", session: String? = nil,
        phone: String = "+33611111111", product: String = "PV", at seconds: TimeInterval = 0, window: Int? = nil
    ) -> IntakeCandidate {
        IntakeCandidate(
            id: UUID(uuidString: String(format: "00000000-0000-0000-0000-%012d", n))!, organizationId: org,
            idempotencyKey: key, submissionHash: hash, sessionId: session, phone: phone, productType: product,
            formCode: "PV-001", receivedAt: t0.addingTimeInterval(seconds), duplicateWindowHours: window)
    }

    static func prior(
        _ n: Int, org: UUID = org, hash: String = "h", session: String? = nil, phone: String = "+33611111111",
        product: String = "PV", at seconds: TimeInterval, duplicateOf: UUID? = nil
    ) -> PriorLead {
        PriorLead(
            id: UUID(uuidString: String(format: "00000000-0000-0000-0000-%012d", n))!, organizationId: org,
            sessionId: session, submissionHash: hash, status: duplicateOf == nil ? .received : .duplicate,
            duplicateOf: duplicateOf, formCode: "PV-001", createdAt: t0.addingTimeInterval(seconds), phone: phone,
            productType: product)
    }

    /// A verdict in a word, for the tables: new, duplicate(of n), replayed, mismatch, double(of n).
    static func word(_ verdict: IntakeVerdict) -> String {
        func n(_ id: UUID?) -> String { id.map { String(Int($0.uuidString.suffix(12))!) } ?? "?" }
        switch verdict {
        case .store(let lead): return lead.status == .duplicate ? "duplicate(\(n(lead.duplicateOf)))" : "new"
        case .replayed(let status, _): return "replayed(\(status))"
        case .idempotencyMismatch: return "mismatch"
        case .doubleSubmit(let first): return "double(\(n(first.id)))"
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let prior: [PriorLead]
        let known: [String: IntakeRules.KnownKey]
        let batch: [IntakeCandidate]
        let verdicts: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "a new phone is a new lead", prior: [], known: [:], batch: [candidate(1)], verdicts: ["new"]),
        Case(
            name: "same phone and product within the window is a duplicate of the first",
            prior: [prior(90, at: -3_600)], known: [:], batch: [candidate(1, hash: "h2")], verdicts: ["duplicate(90)"]),
        Case(
            name: "a duplicate of a duplicate points at the original",
            prior: [prior(91, at: -60, duplicateOf: UUID(uuidString: "00000000-0000-0000-0000-000000000090")!)],
            known: [:], batch: [candidate(1, hash: "h2")], verdicts: ["duplicate(90)"]),
        Case(
            name: "outside the window it is new again",
            prior: [prior(90, at: -31 * 86_400)], known: [:], batch: [candidate(1, hash: "h2")], verdicts: ["new"]),
        Case(
            name: "the organization's window counts (1 h)",
            prior: [prior(90, at: -7_200)], known: [:], batch: [candidate(1, hash: "h2", window: 1)],
            verdicts: ["new"]),
        Case(
            name: "another product is not a duplicate",
            prior: [prior(90, product: "PAC", at: -60)], known: [:], batch: [candidate(1, hash: "h2")],
            verdicts: ["new"]),
        Case(
            name: "another organization is not a duplicate",
            prior: [prior(90, org: otherOrg, at: -60)], known: [:], batch: [candidate(1, hash: "h2")],
            verdicts: ["new"]),
        Case(
            name: "same session and body within 5 s is a double submit",
            prior: [prior(90, session: "s", at: -3)], known: [:], batch: [candidate(1, session: "s")],
            verdicts: ["double(90)"]),
        Case(
            name: "same session and body after 5 s is a duplicate",
            prior: [prior(90, session: "s", at: -6)], known: [:], batch: [candidate(1, session: "s")],
            verdicts: ["duplicate(90)"]),
        Case(
            name: "same session, another body, is a duplicate (the person corrected a field)",
            prior: [prior(90, session: "s", at: -2)], known: [:], batch: [candidate(1, hash: "h2", session: "s")],
            verdicts: ["duplicate(90)"]),
        Case(
            name: "a known key with the same body replays the answer",
            prior: [], known: [IntakeRules.keyKey(org, "k"): .init(hash: "h", status: 201, body: "{}")],
            batch: [candidate(1, key: "k")], verdicts: ["replayed(201)"]),
        Case(
            name: "a known key with another body is refused",
            prior: [], known: [IntakeRules.keyKey(org, "k"): .init(hash: "other", status: 201, body: "{}")],
            batch: [candidate(1, key: "k")], verdicts: ["mismatch"]),
        Case(
            name: "a key of another organization is unknown here",
            prior: [], known: [IntakeRules.keyKey(otherOrg, "k"): .init(hash: "h", status: 201, body: "{}")],
            batch: [candidate(1, key: "k")], verdicts: ["new"]),
        Case(
            name: "in one batch, later submissions see the earlier ones",
            prior: [], known: [:],
            batch: [
                candidate(1, session: "s"), candidate(2, session: "s", at: 1), candidate(3, hash: "h3", at: 2),
                candidate(4, phone: "+33622222222", at: 3),
            ],
            verdicts: ["new", "double(1)", "duplicate(1)", "new"]),
    ]

    @Test(arguments: cases)
    func decides(_ c: Case) {
        var lookups = IntakeRules.Lookups(known: c.known)
        for lead in c.prior { lookups.add(lead) }
        let decision = IntakeRules.decide(c.batch, lookups)
        #expect(decision.verdicts.map(Self.word) == c.verdicts)
        // Stored: exactly the `store` verdicts, in order; remembered: those with a key.
        let stored = decision.verdicts.enumerated().compactMap { index, v -> Int? in
            if case .store = v { return index }
            return nil
        }
        #expect(decision.newLeads.map(\.index) == stored)
    }

    @Test func keysAreRememberedForNewLeadsAndDoubleSubmitsNotForReplays() {
        let lookups = IntakeRules.Lookups(known: [
            IntakeRules.keyKey(Self.org, "old"): .init(hash: "h", status: 201, body: "{}")
        ])
        let decision = IntakeRules.decide(
            [
                Self.candidate(1, key: "a", session: "s"), Self.candidate(2, key: "b", session: "s", at: 1),
                Self.candidate(3, key: "old", at: 2),
            ], lookups)
        #expect(decision.remembered.map(\.index) == [0, 1])
        #expect(decision.remembered.map(\.lead.id) == [Self.candidate(1).id, Self.candidate(1).id])
    }
}

@Suite struct CircuitBreakerTableTests {
    struct Step: Sendable {
        let success: Bool
        let at: TimeInterval
        let state: CircuitBreaker.State
        let failures: Int
    }

    static let t0 = Date(timeIntervalSince1970: 1_000_000)

    /// threshold 3, cooldown 60 s; `state` is read right after the step, at the same time.
    static let tables: [(String, [Step])] = [
        (
            "closed below the threshold",
            [
                Step(success: false, at: 0, state: .closed, failures: 1),
                Step(success: false, at: 1, state: .closed, failures: 2),
                Step(success: true, at: 2, state: .closed, failures: 0),
            ]
        ),
        (
            "opens at the threshold, probes after the cooldown, closes on success",
            [
                Step(success: false, at: 0, state: .closed, failures: 1),
                Step(success: false, at: 1, state: .closed, failures: 2),
                Step(success: false, at: 2, state: .open, failures: 3),
                Step(success: true, at: 70, state: .closed, failures: 0),
            ]
        ),
        (
            "a failed probe opens it again for a whole cooldown",
            [
                Step(success: false, at: 0, state: .closed, failures: 1),
                Step(success: false, at: 0, state: .closed, failures: 2),
                Step(success: false, at: 0, state: .open, failures: 3),
                Step(success: false, at: 65, state: .open, failures: 4),
            ]
        ),
    ]

    @Test(arguments: 0..<tables.count)
    func followsItsTable(_ index: Int) {
        let (name, steps) = Self.tables[index]
        var breaker = CircuitBreaker()
        for step in steps {
            let now = Self.t0.addingTimeInterval(step.at)
            breaker.record(success: step.success, now: now, threshold: 3, cooldown: 60)
            #expect(breaker.state(at: now) == step.state, "\(name) at \(step.at) s")
            #expect(breaker.consecutiveFailures == step.failures, "\(name) at \(step.at) s")
        }
    }

    @Test func anOpenBreakerIsHalfOpenOnceTheCooldownHasPassed() {
        var breaker = CircuitBreaker()
        for _ in 0..<3 { breaker.record(success: false, now: Self.t0, threshold: 3, cooldown: 60) }
        #expect(breaker.state(at: Self.t0.addingTimeInterval(59)) == .open)
        #expect(breaker.state(at: Self.t0.addingTimeInterval(60)) == .halfOpen)
    }
}

@Suite struct BillingPeriodTableTests {
    // 2026-11-15 12:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_794_744_000)

    @Test(
        arguments: [
            (nil, nil, "2026-11-01…2026-11-30", nil),
            ("", "", "2026-11-01…2026-11-30", nil),
            ("2026-10-01", "2026-10-31", "2026-10-01…2026-10-31", nil),
            ("2026-10-05", "2026-10-05", "2026-10-05…2026-10-05", nil),
            ("2026-13-01", "2026-10-31", nil, "from"),
            ("2026-10-01", "demain", nil, "to"),
            ("2026-10-31", "2026-10-01", nil, "to"),
            ("2025-01-01", "2026-10-31", nil, "to"),
        ] as [(String?, String?, String?, String?)])
    func parsesAPeriod(from: String?, to: String?, expected: String?, errorField: String?) {
        switch BillingPeriod.parse(from: from, to: to, now: Self.now) {
        case .success(let range):
            #expect(expected == "\(range.from)…\(range.to)")
            #expect(range.end > range.start)
        case .failure(let errors):
            #expect(expected == nil)
            #expect(errors.messages[errorField ?? ""]?.isEmpty == false, "\(errors.messages)")
        }
    }

    @Test func aParisDayRunsFromMidnightToMidnightParisTime() throws {
        let winter = try #require(ParisDayRange("2026-12-01"))
        #expect(winter.start == Date(timeIntervalSince1970: 1_796_079_600))  // 2026-11-30 23:00 UTC
        #expect(winter.end.timeIntervalSince(winter.start) == 86_400)
        let summerToWinter = try #require(ParisDayRange("2026-10-25"))  // the clocks go back: 25 hours
        #expect(summerToWinter.end.timeIntervalSince(summerToWinter.start) == 90_000)
        #expect(ParisDayRange("2026-02-30") == nil)
    }
}

@Suite struct CrmRoutingSettingsTableTests {
    static let products: Set<String> = ["PV", "PAC", "ITE"]

    @Test(
        arguments: [
            ("{\"PV\": {\"active\": true, \"departements\": [\"75\", \"1\", \"2A\"]}}", "PV:on:01,2A,75", nil),
            ("{\"pv\": {\"departements\": []}}", "PV:on:", nil),
            ("{\"PV\": {\"active\": false}}", "PV:off:13", nil),
            ("{\"PV\": null}", "", nil),
            ("{\"XX\": {\"active\": true}}", "PV:on:13", "Type de produit inconnu : XX."),
            ("{\"PV\": {\"departements\": [\"99\"]}}", "PV:on:", "Commande PV : département inconnu « 99 »."),
            ("{\"PV\": {\"active\": \"oui\"}}", "PV:on:13", "Commande PV : « active » vaut true ou false."),
            ("[1, 2]", "PV:on:13", nil),
        ] as [(String, String, String?)])
    func readsOrdersMergedPerProduct(json: String, expected: String, error: String?) throws {
        let current = ["PV": Order(active: true, departements: ["13"])]
        var errors = FieldErrors()
        let value = try JSONParser.parse(Array(json.utf8))
        let orders = CrmRoutingSettings.orders(value, into: current, products: Self.products, errors: &errors)
        let shown = orders.keys.sorted().map {
            "\($0):\(orders[$0]!.active ? "on" : "off"):\(orders[$0]!.departements.joined(separator: ","))"
        }
        .joined(separator: " ")
        #expect(shown == expected)
        if let error {
            #expect(errors.messages["orders"]?.contains(error) == true, "\(errors.messages)")
        } else if json.hasPrefix("[") {
            #expect(errors.messages["orders"]?.isEmpty == false)
        } else {
            #expect(errors.isEmpty, "\(errors.messages)")
        }
    }

    @Test(
        arguments: [
            ("{\"X-Api\": \"abc\"}", ["X-Api": "abc"], true),
            ("null", [:], true),
            ("{\"X-Api\": \"a\\nb\"}", [:], false),
            ("{\"X-Api\": 3}", [:], false),
            ("\"texte\"", nil, false),
        ] as [(String, [String: String]?, Bool)])
    func readsAFlatStringMap(json: String, expected: [String: String]?, valid: Bool) throws {
        var errors = FieldErrors()
        let map = CrmRoutingSettings.stringMap(
            try JSONParser.parse(Array(json.utf8)), field: "webhook_headers", allowedKeys: nil, errors: &errors)
        #expect(errors.isEmpty == valid, "\(errors.messages)")
        if valid { #expect(map == expected) }
    }

    @Test func pricesAreEurosRoundedToTheCentAndLimitsWholeNumbers() throws {
        var errors = FieldErrors()
        let prices = CrmRoutingSettings.prices(
            try JSONParser.parse(Array("{\"PV\": 12.346, \"PAC\": 30}".utf8)), into: [:], products: Self.products,
            errors: &errors)
        #expect(prices == ["PV": 12.35, "PAC": 30] && errors.isEmpty)
        _ = CrmRoutingSettings.prices(
            try JSONParser.parse(Array("{\"PV\": -1}".utf8)), into: [:], products: Self.products, errors: &errors)
        _ = CrmRoutingSettings.limits(
            try JSONParser.parse(Array("{\"PV\": 2.5}".utf8)), into: [:], products: Self.products, errors: &errors)
        #expect(errors.messages["lead_prices"]?.isEmpty == false)
        #expect(errors.messages["routing_limits"]?.isEmpty == false)
    }
}
