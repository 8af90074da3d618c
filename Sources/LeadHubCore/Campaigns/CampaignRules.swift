import Foundation

/// What an A/B campaign tests: several landing pages in front of one form, or several forms behind
/// one landing page.
public enum CampaignMode: String, Codable, Sendable, CaseIterable {
    case landingPages = "lps"
    case forms = "forms"

    public var label: String {
        switch self {
        case .landingPages: "Landing pages pour un formulaire"
        case .forms: "Formulaires pour une landing page"
        }
    }
}

/// A campaign's life: prepared, running (weights locked), stopped (traffic to the control, numbers
/// kept), decided (all traffic to the winner).
public enum CampaignStatus: String, Codable, Sendable, CaseIterable {
    case draft, running, stopped, decided

    public var label: String {
        switch self {
        case .draft: "Brouillon"
        case .running: "En cours"
        case .stopped: "Arrêtée"
        case .decided: "Décidée"
        }
    }

    public enum Action: String, Sendable { case start, stop, applyWinner = "apply-winner" }

    /// The status an action leads to from this one, or nil when it is not allowed.
    public func after(_ action: Action) -> CampaignStatus? {
        switch (self, action) {
        case (.draft, .start), (.stopped, .start): .running
        case (.running, .stop): .stopped
        case (.running, .applyWinner), (.stopped, .applyWinner): .decided
        default: nil
        }
    }
}

/// The limits of a campaign's settings, checked at creation and on each change.
public enum CampaignRules {
    public static let maxVariants = 6
    public static let weightRange = 0...1_000
    public static let minDaysRange = 1...90
    public static let maxDaysRange = 1...365
    public static let minPlannedVisitors = 200

    /// Field errors of a list of weights (each in range, at least two that receive traffic).
    public static func weightErrors(_ weights: [Int]) -> [String] {
        var errors = [String]()
        if weights.count < 2 { errors.append("Il faut au moins deux variantes.") }
        if weights.count > maxVariants { errors.append("\(maxVariants) variantes au plus.") }
        if weights.contains(where: { !weightRange.contains($0) }) {
            errors.append("Chaque poids va de 0 à \(weightRange.upperBound).")
        } else if weights.filter({ $0 > 0 }).count < 2 {
            errors.append("Au moins deux variantes doivent recevoir du trafic (poids supérieur à 0).")
        }
        return errors
    }

    /// « A », « B »… the name of the variant at this position.
    public static func variantName(_ position: Int) -> String {
        let letters = Array("ABCDEFGHIJ")
        return position >= 0 && position < letters.count ? String(letters[position]) : "V\(position + 1)"
    }

    /// Whole days between two dates, with fractions (the verdict's elapsed time).
    public static func elapsedDays(from start: Date, to end: Date) -> Double {
        max(0, end.timeIntervalSince(start) / 86_400)
    }
}

extension LeadStatus {
    /// A lead that counts as a conversion in a campaign: not a duplicate (ours or the CRM's), not
    /// invalid, incomplete or rejected.
    public var countsAsConversion: Bool {
        ![.duplicate, .crmDuplicate, .invalid, .incomplete, .rejected].contains(self)
    }

    /// The same rule in SQL.
    public static let notConversionSQL = "'duplicate', 'crm_duplicate', 'invalid', 'incomplete', 'rejected'"
}
