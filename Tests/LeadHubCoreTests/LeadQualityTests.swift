import Foundation
import Testing

@testable import LeadHubCore

/// Each quality signal as a table of cases, then the score, the verdict and how intake's rules
/// apply them (repeats, thresholds, kept leads, consent, duplicates).
@Suite struct LeadQualityTests {
    static let domains: Set<String> = ["yopmail.com", "mailinator.com"]

    static func codes(_ input: LeadQuality.Input) -> [String] {
        LeadQuality.assess(input, disposableDomains: domains).signals.map(\.code)
    }

    @Test(arguments: [
        ("", false), ("   ", false), ("http://spam.example", true), ("x", true),
    ])
    func aFilledHoneypotIsARobot(value: String, robot: Bool) {
        let quality = LeadQuality.assess(.init(honeypot: value), disposableDomains: [])
        #expect(quality.isRobot == robot)
        #expect(quality.verdict(hold: 40, reject: 70) == (robot ? .reject : .pass))
    }

    @Test(
        arguments: [
            (nil, 0), (25_000, 0), (10_000, 0), (9_999, 25), (4_000, 25), (2_999, 35), (0, 35),
        ] as [(Int?, Int)])
    func aFormFilledInUnderTenSecondsScores(elapsed: Int?, points: Int) {
        let quality = LeadQuality.assess(.init(formElapsedMs: elapsed), disposableDomains: [])
        #expect(quality.score == points)
        #expect(quality.signals.allSatisfy { $0.code == LeadQuality.tooFast })
    }

    @Test(arguments: [
        (0, 0, [String]()), (1, 0, []), (2, 0, ["repeated_address"]), (5, 0, ["repeated_address"]),
        (0, 1, ["repeated_visitor"]), (3, 2, ["repeated_address", "repeated_visitor"]),
    ])
    func severalLeadsFromOneAddressOrVisitorIn24hScore(address: Int, visitor: Int, expected: [String]) {
        let signals = LeadQuality.repeats(sameAddress: address, sameVisitor: visitor)
        #expect(signals.map(\.code) == expected)
        if address >= 5 { #expect(signals.first?.points == 35) }
        if (2...4).contains(address) { #expect(signals.first?.points == 20) }
    }

    @Test(arguments: [
        ("FR", false), ("fr", false), ("RE", false), ("GP", false), ("BE", true), ("US", true), ("T1", true),
        ("", false),
    ])
    func anAddressOutsideFranceScoresWhenTheProxyNamesTheCountry(country: String, foreign: Bool) {
        #expect(Self.codes(.init(country: country)) == (foreign ? [LeadQuality.foreignAddress] : []))
    }

    @Test(arguments: [
        ("203.0.113.0/24", "203.0.113.77", true), ("203.0.113.0/24", "203.0.114.1", false),
        ("10.0.0.0/8", "10.255.1.2", true), ("198.51.100.7", "198.51.100.7", true),
        ("198.51.100.7", "198.51.100.8", false), ("2001:db8::/32", "2001:db8:1::5", true),
        ("2001:db8::/32", "2001:db9::1", false), ("203.0.113.0/24", "::ffff:203.0.113.9", true),
        ("0.0.0.0/0", "192.0.2.1", true), ("203.0.113.0/24", "pas une adresse", false),
    ])
    func suspectRangesMatchIPv4AndIPv6(range: String, address: String, inside: Bool) throws {
        let parsed = try #require(IPRange(range))
        #expect(parsed.contains(address) == inside)
    }

    @Test(arguments: [
        ("127.0.0.1", false), ("10.1.2.3", false), ("172.20.0.5", false), ("192.168.1.10", false),
        ("100.70.1.1", false), ("::1", false), ("fd00::1", false), ("fe80::1", false), ("203.0.113.7", true),
        ("86.242.10.3", true), ("2a01:cb00::1", true), ("pas une adresse", false),
    ])
    func internalAddressesAreNotVisitors(address: String, visitor: Bool) {
        #expect(IPRange.isPublic(address) == visitor)
    }

    @Test(arguments: ["", "300.1.1.1/8", "10.0.0.0/33", "2001:db8::/129", "1.2.3", "abc"])
    func malformedRangesAreRefused(text: String) {
        #expect(IPRange(text) == nil)
    }

    @Test(arguments: [
        ("jean@yopmail.com", true), ("jean@YOPMAIL.com", true), ("x@sub.mailinator.com", true),
        ("jean@gmail.com", false), ("jean@notyopmail.com", false), ("sans-arobase", false),
    ])
    func disposableDomainsAndTheirSubdomainsScore(email: String, disposable: Bool) {
        #expect(LeadQuality.isDisposable(email: email, domains: Self.domains) == disposable)
    }

    @Test(arguments: [
        ("0612345678", true), ("0698765432", true), ("0612121212", true), ("0612341234", true),
        ("0600000000", true), ("0600000001", true), ("0700000007", true), ("0623456789", true),
        ("0612485378", false), ("0145879632", false), ("0698715432", false), ("0611223344", false),
        ("061234", false),
    ])
    func fakeLookingPhonesScore(phone: String, fake: Bool) {
        #expect(LeadQuality.isFakeLooking(nationalPhone: phone) == fake)
    }

    @Test(arguments: [
        ("test", true), ("Test", true), ("TESTING", true), ("azerty", true), ("Qwerty", true), ("qsdfgh", true),
        ("A", true), ("a.", true), ("aaaa", true), ("Jean2", true), ("jean test", true), ("Toto", true),
        ("Dupont", false), ("Jean-Pierre", false), ("N'Diaye", false), ("Lê", false), ("Éloïse", false),
        ("Yves", false), ("Ab", false),
    ])
    func namesNobodyHasScore(name: String, suspect: Bool) {
        #expect(LeadQuality.isSuspect(name: name) == suspect)
    }

    @Test(arguments: [
        ("75008", true), ("75020", true), ("75116", true), ("75021", false), ("75000", false), ("69003", true),
        ("69000", false), ("69100", true), ("13016", true), ("13000", false), ("13100", true), ("20000", true),
        ("97400", true), ("00000", false), ("99999", false), ("12345", false), ("96000", false), ("1234", false),
        ("01000", true),
    ])
    func postalCodesThatCannotExistScore(code: String, plausible: Bool) {
        #expect(LeadQuality.isPlausiblePostalCode(code) == plausible)
    }

    @Test func signalsAddUpToAScoreCappedAt100WithTheirReasons() {
        let quality = LeadQuality.assess(
            .init(
                formElapsedMs: 2_000, email: "a@yopmail.com", nationalPhone: "0612345678", nom: "Test",
                codePostal: "75000"),
            disposableDomains: Self.domains)
        #expect(
            quality.signals.map(\.code) == [
                LeadQuality.tooFast, LeadQuality.disposableEmail, LeadQuality.fakePhone, LeadQuality.fakeName,
                LeadQuality.unknownPostalCode,
            ])
        #expect(quality.score == 100)
        #expect(quality.signals.allSatisfy { !$0.label.isEmpty })
        let clean = LeadQuality.assess(
            .init(
                formElapsedMs: 45_000, country: "FR", email: "jean.dupont@orange.fr", nationalPhone: "0612485378",
                nom: "Dupont", prenom: "Jean", codePostal: "69003"),
            disposableDomains: Self.domains)
        #expect(clean.score == 0 && clean.signals.isEmpty)
    }

    @Test(arguments: [
        (0, QualityAssessment.Verdict.pass), (39, .pass), (40, .hold), (69, .hold), (70, .reject), (100, .reject),
    ])
    func thresholdsHoldThenReject(score: Int, verdict: QualityAssessment.Verdict) {
        let quality = QualityAssessment(signals: [QualitySignal(code: "x", label: "x", points: score)])
        #expect(quality.verdict(hold: 40, reject: 70) == verdict)
    }

    // MARK: The rules of intake with quality, kept leads and consent

    static let org = UUID(uuidString: "00000000-0000-0000-0000-0000000000A1")!
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    static func candidate(
        _ n: Int, phone: String = "+33612485378", ip: String? = nil, visitor: String? = nil,
        kept: LeadStatus? = nil, points: Int = 0, consentMissing: Bool = false, at seconds: TimeInterval = 0
    ) -> IntakeCandidate {
        var c = IntakeCandidate(
            id: UUID(uuidString: String(format: "00000000-0000-0000-0000-%012d", n))!, organizationId: org,
            idempotencyKey: nil, submissionHash: "h\(n)", sessionId: nil, phone: phone, productType: "PV",
            formCode: "PV-001", receivedAt: t0.addingTimeInterval(seconds), duplicateWindowHours: nil)
        c.ip = ip
        c.visitorId = visitor
        c.kept = kept
        c.consentMissing = consentMissing
        if points > 0 { c.quality = QualityAssessment(signals: [.init(code: "x", label: "x", points: points)]) }
        return c
    }

    static func statuses(_ decision: IntakeRules.Decision) -> [LeadStatus] {
        decision.verdicts.map { verdict in
            if case .store(let lead) = verdict { return lead.status }
            return .received
        }
    }

    @Test(
        arguments: [
            // (kept, points, consent missing) → status: a reject beats the field errors, which beat
            // the hold, which beats the missing consent.
            (nil, 0, false, LeadStatus.received), (nil, 45, false, .held), (nil, 75, false, .rejected),
            (.incomplete, 0, false, .incomplete), (.invalid, 45, false, .invalid), (.incomplete, 80, false, .rejected),
            (nil, 0, true, .noConsent), (nil, 45, true, .held), (.incomplete, 0, true, .incomplete),
        ] as [(LeadStatus?, Int, Bool, LeadStatus)])
    func aNewLeadsStatusFollowsItsErrorsQualityAndConsent(
        kept: LeadStatus?, points: Int, consentMissing: Bool, expected: LeadStatus
    ) {
        let decision = IntakeRules.decide(
            [Self.candidate(1, kept: kept, points: points, consentMissing: consentMissing)], .init())
        #expect(Self.statuses(decision) == [expected])
        #expect(decision.quality[0]?.score == min(points, 100))
    }

    @Test func theThirdLeadFromOneAddressInABatchCarriesTheRepeatSignal() {
        var lookups = IntakeRules.Lookups()
        lookups.recentByAddress[IntakeRules.addressKey(Self.org, "192.0.2.9")] = 1
        let decision = IntakeRules.decide(
            [
                Self.candidate(1, phone: "+33611223344", ip: "192.0.2.9"),
                Self.candidate(2, phone: "+33622334455", ip: "192.0.2.9", visitor: "v1"),
                Self.candidate(3, phone: "+33633445566", ip: "192.0.2.10", visitor: "v1"),
            ], lookups)
        #expect(decision.quality[0]?.signals.isEmpty == true)  // one earlier lead: not yet "several"
        #expect(decision.quality[1]?.signals.map(\.code) == [LeadQuality.repeatedAddress])
        #expect(decision.quality[2]?.signals.map(\.code) == [LeadQuality.repeatedVisitor])
    }

    @Test func aCorrectedResubmissionIsNotARepeatOfTheVisitor() {
        let decision = IntakeRules.decide(
            [
                Self.candidate(1, visitor: "v9", kept: .incomplete),
                Self.candidate(2, visitor: "v9", at: 20),
                Self.candidate(3, phone: "+33622334455", visitor: "v9", at: 40),
            ], .init())
        #expect(Self.statuses(decision) == [.incomplete, .received, .received])
        #expect(decision.quality[1]?.signals.isEmpty == true)
        #expect(decision.quality[2]?.signals.map(\.code) == [LeadQuality.repeatedVisitor])
    }

    @Test func aLeadWaitingForReviewIsNobodysDuplicateSoTheCorrectedOneIsSent() {
        let decision = IntakeRules.decide(
            [
                Self.candidate(1, kept: .incomplete),
                Self.candidate(2, consentMissing: true, at: 10),
                Self.candidate(3, at: 20),
                Self.candidate(4, at: 30),
            ], .init())
        #expect(Self.statuses(decision) == [.incomplete, .noConsent, .received, .duplicate])
        guard case .store(let fourth) = decision.verdicts[3] else { return }
        #expect(fourth.duplicateOf == decision.newLeads[2].lead.id)
    }

    @Test func aLeadKeptWithoutAPhoneIsNeverADuplicate() {
        let decision = IntakeRules.decide(
            [Self.candidate(1, phone: "", kept: .incomplete), Self.candidate(2, phone: "", kept: .incomplete, at: 5)],
            .init())
        #expect(Self.statuses(decision) == [.incomplete, .incomplete])
    }
}
