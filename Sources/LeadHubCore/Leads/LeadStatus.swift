import Foundation

/// Where a lead stands. Routing and delivery (a later milestone) add their own states.
public enum LeadStatus: String, Codable, CaseIterable, Sendable {
    /// Stored, waiting for routing and delivery.
    case received
    /// Same phone and product already received in the duplicate window: stored, never sent.
    case duplicate

    public var label: String {
        switch self {
        case .received: "Reçu"
        case .duplicate: "Doublon"
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
