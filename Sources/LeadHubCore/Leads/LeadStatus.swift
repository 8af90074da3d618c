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

    public var label: String {
        switch self {
        case .received: "Reçu"
        case .duplicate: "Doublon"
        case .delivered: "Livré"
        case .crmDuplicate: "Doublon CRM"
        case .failed: "À traiter"
        case .notSent: "Non envoyé"
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
