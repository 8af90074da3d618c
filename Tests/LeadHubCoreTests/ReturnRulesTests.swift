import Foundation
import Testing

@testable import LeadHubCore

/// « Retours »: the window, one return per lead, verified duplicates accepted at once, the cap.
@Suite struct ReturnRulesTests {
    static let delivered = Date(timeIntervalSince1970: 1_790_000_000)

    static func outcome(
        _ reason: ReturnReason, note: String? = nil, afterDays days: Double, verified: Bool = false,
        returns: Int = 0, deliveredThisMonth: Int = 100, already: Bool = false, deliveredAt: Date? = delivered
    ) -> ReturnRules.Outcome {
        ReturnRules.decide(
            .init(
                reason: reason, note: note, deliveredAt: deliveredAt, now: delivered.addingTimeInterval(days * 86_400),
                duplicateVerified: verified, returnsThisMonth: returns, deliveredThisMonth: deliveredThisMonth,
                alreadyReturned: already))
    }

    @Test(arguments: [
        (0.5, true), (6.9, true), (7.0, true), (7.01, false), (30, false),
    ])
    func aReturnIsTakenWithinSevenDaysOfDelivery(days: Double, inTime: Bool) {
        let result = Self.outcome(.invalidNumber, afterDays: days)
        if inTime {
            #expect(result == .recorded(status: .pending, overCap: false))
        } else {
            guard case .refused(_, let message) = result else {
                Issue.record("expected a refusal")
                return
            }
            #expect(message.contains("Délai de retour dépassé"))
        }
    }

    @Test(arguments: [
        (ReturnReason.duplicate, true, ReturnStatus.accepted), (.duplicate, false, .pending),
        (.invalidNumber, true, .pending), (.fake, false, .pending), (.wrongPerson, false, .pending),
    ])
    func onlyAVerifiedDuplicateIsAcceptedAtOnce(reason: ReturnReason, verified: Bool, status: ReturnStatus) {
        #expect(Self.outcome(reason, afterDays: 1, verified: verified) == .recorded(status: status, overCap: false))
    }

    @Test func oneReturnPerLeadAndOnlyForADeliveredLead() {
        #expect(
            Self.outcome(.fake, afterDays: 1, already: true)
                == .refused(field: "lead_id", message: "Ce lead a déjà été retourné."))
        guard case .refused(let field, _) = Self.outcome(.fake, afterDays: 1, deliveredAt: nil) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(field == "lead_id")
    }

    @Test func otherNeedsANote() {
        guard case .refused(let field, _) = Self.outcome(.other, note: "  ", afterDays: 1) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(field == "note")
        #expect(
            Self.outcome(.other, note: "Client décédé", afterDays: 1) == .recorded(status: .pending, overCap: false))
    }

    @Test(arguments: [
        // (returns already this month, delivered this month, over the 15 % cap?)
        (0, 100, false), (14, 100, false), (15, 100, true), (0, 0, false), (1, 5, true), (1, 20, false),
    ])
    func theMonthlyCapFlagsAbuseAndStopsAutomaticAcceptance(returns: Int, delivered: Int, over: Bool) {
        let result = Self.outcome(
            .duplicate, afterDays: 1, verified: true, returns: returns, deliveredThisMonth: delivered)
        #expect(result == .recorded(status: over ? .pending : .accepted, overCap: over))
    }

    @Test(arguments: [
        ("numero_invalide", ReturnReason.invalidNumber), ("Numéro invalide", .invalidNumber), ("DOUBLON", .duplicate),
        ("duplicate", .duplicate), ("hors zone", .outOfArea), ("Faux / test", .fake), ("test", .fake),
        ("conteste-la-demande", .disputes), ("autre", .other),
    ])
    func reasonsAreReadAsCrmsAndCsvFilesWriteThem(raw: String, reason: ReturnReason) {
        #expect(ReturnReason.parse(raw) == reason)
    }

    @Test func anUnknownReasonIsNotGuessed() {
        #expect(ReturnReason.parse("pas content") == nil)
    }
}
