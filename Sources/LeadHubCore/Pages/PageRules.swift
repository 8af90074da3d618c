import Foundation

/// How a landing page reaches its form.
public enum LandingPageKind: String, Codable, CaseIterable, Sendable {
    /// The CTA sends the visitor to a separate form page.
    case redirect
    /// The form sits inside the LP.
    case integrated

    public var label: String {
        switch self {
        case .redirect: "Redirection vers le formulaire"
        case .integrated: "Formulaire intégré"
        }
    }
}

/// How a form reports conversions.
public enum TrackingType: String, Codable, CaseIterable, Sendable {
    case gtm, redirect, none

    public var label: String {
        switch self {
        case .gtm: "Google Tag Manager"
        case .redirect: "Redirection (page de remerciement)"
        case .none: "Aucun"
        }
    }
}

/// Active pages take traffic; archived ones are kept with their statistics but refuse leads.
public enum PublicationStatus: String, Codable, CaseIterable, Sendable {
    case active, archived

    public var label: String {
        switch self {
        case .active: "Actif"
        case .archived: "Archivé"
        }
    }
}

/// Codes of LPs and forms: `LP-001`, `PV-001`, `PAC-012`…
public enum PageCode {
    /// The next code with this prefix, after the highest number already used (gaps are not reused).
    public static func next(prefix: String, existing: [String]) -> String {
        let numbers = existing.compactMap { code -> Int? in
            guard code.hasPrefix(prefix + "-") else { return nil }
            return Int(code.dropFirst(prefix.count + 1))
        }
        return String(format: "%@-%03d", prefix, (numbers.max() ?? 0) + 1)
    }

    /// A chosen code: 2 to 40 capital letters, digits and dashes (`LP-ETE-2026`).
    public static func isValid(_ code: String) -> Bool {
        (2...40).contains(code.count)
            && code.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
            && !code.hasPrefix("-") && !code.hasSuffix("-")
    }
}
