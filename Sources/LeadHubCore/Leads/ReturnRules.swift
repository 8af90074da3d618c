import Foundation

/// Why a buyer returns a delivered lead (« Retours »).
public enum ReturnReason: String, Codable, CaseIterable, Sendable {
    case invalidNumber = "numero_invalide"
    case wrongPerson = "mauvaise_personne"
    case duplicate = "doublon"
    case outOfArea = "hors_zone"
    case disputes = "conteste_la_demande"
    case notEligible = "non_eligible"
    case fake = "faux_test"
    case other = "autre"

    public var label: String {
        switch self {
        case .invalidNumber: "Numéro invalide"
        case .wrongPerson: "Mauvaise personne"
        case .duplicate: "Doublon"
        case .outOfArea: "Hors zone"
        case .disputes: "Conteste la demande"
        case .notEligible: "Non éligible"
        case .fake: "Faux / test"
        case .other: "Autre"
        }
    }

    /// Reads a reason as CRMs and CSV files write it: its code, its label, without accents or case.
    public static func parse(_ raw: String) -> ReturnReason? {
        let folded = LeadSubmission.fold(raw.trimmedText).replacingOccurrences(of: " ", with: "_")
            .replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: "/", with: "_")
        if let exact = ReturnReason(rawValue: folded) { return exact }
        return allCases.first {
            LeadSubmission.fold($0.label).replacingOccurrences(of: " ", with: "_")
                .replacingOccurrences(of: "/", with: "_") == folded
        }
            ?? (["faux", "test", "fake"].contains(folded) ? .fake : nil)
            ?? (folded == "duplicate" ? .duplicate : nil)
    }
}

public enum ReturnStatus: String, Codable, CaseIterable, Sendable {
    case pending, accepted, refused

    public var label: String {
        switch self {
        case .pending: "À décider"
        case .accepted: "Accepté"
        case .refused: "Refusé"
        }
    }
}

/// The rules of a return, pure: within the window after delivery, one per lead, verifiable reasons
/// (a duplicate the hub can see) accepted at once, the others waiting for a decision, and a monthly
/// cap per CRM that flags a buyer returning too much.
public enum ReturnRules {
    public static let defaultWindowDays = 7
    public static let defaultCapPercent = 15

    public struct Request: Sendable, Equatable {
        public var reason: ReturnReason
        public var note: String?
        /// When the lead was delivered to the CRM that returns it (nil: never delivered to it).
        public var deliveredAt: Date?
        public var now: Date
        public var windowDays: Int
        /// Another lead of the same phone and product was delivered to the same CRM before this one.
        public var duplicateVerified: Bool
        /// Returns already made by this CRM this month, and leads delivered to it this month.
        public var returnsThisMonth: Int
        public var deliveredThisMonth: Int
        public var capPercent: Int
        public var alreadyReturned: Bool

        public init(
            reason: ReturnReason, note: String? = nil, deliveredAt: Date?, now: Date,
            windowDays: Int = ReturnRules.defaultWindowDays, duplicateVerified: Bool = false,
            returnsThisMonth: Int = 0, deliveredThisMonth: Int = 0, capPercent: Int = ReturnRules.defaultCapPercent,
            alreadyReturned: Bool = false
        ) {
            self.reason = reason
            self.note = note
            self.deliveredAt = deliveredAt
            self.now = now
            self.windowDays = windowDays
            self.duplicateVerified = duplicateVerified
            self.returnsThisMonth = returnsThisMonth
            self.deliveredThisMonth = deliveredThisMonth
            self.capPercent = capPercent
            self.alreadyReturned = alreadyReturned
        }
    }

    public enum Outcome: Sendable, Equatable {
        /// Recorded: accepted at once (verified) or waiting for a decision; `overCap` flags it.
        case recorded(status: ReturnStatus, overCap: Bool)
        /// Refused outright, with the reason in French (field → message).
        case refused(field: String, message: String)
    }

    public static func decide(_ r: Request) -> Outcome {
        if r.alreadyReturned { return .refused(field: "lead_id", message: "Ce lead a déjà été retourné.") }
        guard let delivered = r.deliveredAt else {
            return .refused(
                field: "lead_id", message: "Ce lead n'a pas été livré à ce CRM : il ne peut pas être retourné.")
        }
        let deadline = delivered.addingTimeInterval(Double(max(r.windowDays, 0)) * 86_400)
        if r.now > deadline {
            return .refused(
                field: "lead_id",
                message: "Délai de retour dépassé : \(r.windowDays) jour(s) après la livraison.")
        }
        if r.reason == .other, (r.note ?? "").trimmedText.isEmpty {
            return .refused(field: "note", message: "Précisez la raison du retour (« Autre »).")
        }
        let overCap = isOverCap(
            returns: r.returnsThisMonth + 1, delivered: r.deliveredThisMonth, capPercent: r.capPercent)
        let automatic = r.reason == .duplicate && r.duplicateVerified && !overCap
        return .recorded(status: automatic ? .accepted : .pending, overCap: overCap)
    }

    /// More returns than `capPercent` of the leads delivered this month (at least one return
    /// allowed whatever the volume).
    public static func isOverCap(returns: Int, delivered: Int, capPercent: Int) -> Bool {
        guard returns > 1 else { return false }
        return returns * 100 > max(delivered, 1) * capPercent
    }
}
