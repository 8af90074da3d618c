import Foundation

/// Where a lead stands: received (and on its way to its CRM), then delivered, or one of the ends
/// that are not a delivery. Its delivery (`DeliveryStatus`) says more.
public enum LeadStatus: String, Codable, CaseIterable, Sendable {
    /// Stored, on its way to its CRM.
    case received
    /// Same phone and product already received in the duplicate window: stored, never sent.
    case duplicate
    /// The CRM took it.
    case delivered
    /// The CRM already had it.
    case crmDuplicate = "crm_duplicate"
    /// Refused, credentials refused, or every attempt failed: a person must look.
    case failed
    /// Not sent: cancelled, or no CRM to send it to.
    case notSent = "not_sent"
    /// Kept although a field its product requires is missing or does not validate: waits in
    /// « À vérifier » until an editor completes it and releases it.
    case incomplete
    /// Kept although its phone number cannot be read: waits in « À vérifier ».
    case invalid
    /// Its quality score reached the organization's hold threshold: waits in « À vérifier ».
    case held
    /// No phone opt-in while the organization requires one: kept, never sent unless released.
    case noConsent = "no_consent"
    /// Rejected: by the quality score (honeypot, reject threshold) or by an editor. Never sent.
    case rejected

    public var label: String {
        switch self {
        case .received: "Reçu"
        case .duplicate: "Doublon"
        case .delivered: "Livré"
        case .crmDuplicate: "Doublon CRM"
        case .failed: "À traiter"
        case .notSent: "Non envoyé"
        case .incomplete: "Incomplet"
        case .invalid: "Invalide"
        case .held: "Qualité à vérifier"
        case .noConsent: "Sans consentement"
        case .rejected: "Rejeté"
        }
    }

    /// The statuses of the review queue « À vérifier »: stored, not sent until an editor releases them.
    public static let awaitingReview: [LeadStatus] = [.incomplete, .invalid, .held, .noConsent]

    public var awaitsReview: Bool { Self.awaitingReview.contains(self) }

    /// Whether a later lead of the same phone and product is its duplicate. A lead waiting in
    /// « À vérifier » or rejected does not count: the person who corrects their entry, or ticks
    /// the opt-in they had missed, sends a lead that must be delivered.
    public var countsForDuplicates: Bool { !awaitsReview && self != .rejected }

    /// Whether it counts among the repeats of its address and visitor (quality): every lead but
    /// those kept with field errors, which the person usually corrects and sends again.
    public var countsAsRepeat: Bool { self != .incomplete && self != .invalid }

    /// `countsAsRepeat` as SQL, for the repeat counts.
    public static let notRepeatSQL = "'incomplete', 'invalid'"

    /// What the public API answers in `status` for a lead stored with this status. The quality
    /// verdicts are not told to the sender (a bot learns nothing); incomplete and invalid are, with
    /// the field errors, so that a page can still show them.
    public var answerStatus: String {
        switch self {
        case .duplicate: "duplicate"
        case .incomplete: "incomplete"
        case .invalid: "invalid"
        default: "accepted"
        }
    }

    /// What a settled delivery makes of the lead.
    public static func after(_ delivery: DeliveryStatus) -> LeadStatus? {
        switch delivery {
        case .delivered: .delivered
        case .duplicate: .crmDuplicate
        case .refused, .authError, .exhausted: .failed
        case .cancelled, .notSent: .notSent
        case .pending, .retrying: .received
        }
    }
}

/// The duplicate rule's window: the same calendar day in Europe/Paris by default, or a sliding
/// number of hours when the organization sets one.
public enum DuplicateWindow {
    public static func start(for now: Date, hours: Int?, timeZone: TimeZone = FrenchFormat.parisTimeZone) -> Date {
        if let hours, hours > 0 { return now.addingTimeInterval(-Double(hours) * 3_600) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.startOfDay(for: now)
    }
}
