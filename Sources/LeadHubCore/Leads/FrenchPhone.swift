import Foundation

/// A French phone number, mainland or overseas, as prospects type it:
/// `06 12 34 56 78`, `0612345678`, `+33612345678`, `0033 6 12…`, `+33 (0)6 12…`, `06.12.34.56.78`.
///
/// Stored in E.164 (`+33612345678`; overseas numbers with their own country code, `+590690…`),
/// sent to ZR7/MDL in national form (`0612345678`).
public struct FrenchPhone: Equatable, Sendable {
    /// `+33612345678`
    public let e164: String
    /// `0612345678`
    public let national: String

    /// Overseas departments have their own country codes; their national numbers start with these
    /// prefixes (after the leading 0).
    static let overseas: [(prefixes: [String], countryCode: String)] = [
        (["590", "690", "691"], "590"),  // Guadeloupe, Saint-Martin, Saint-Barthélemy
        (["594", "694"], "594"),  // Guyane
        (["596", "696", "697"], "596"),  // Martinique
        (["262", "263", "692", "693", "269", "639"], "262"),  // La Réunion, Mayotte
    ]
    static let countryCodes = ["33", "590", "594", "596", "262"]

    public enum Problem: Error, Equatable, Sendable {
        case empty, notFrench, wrongLength, notAPersonalNumber, fake

        /// The message shown to the person who typed the number.
        public var message: String {
            switch self {
            case .empty: "Le numéro de téléphone est obligatoire."
            case .notFrench: "Numéro de téléphone invalide : indiquez un numéro français (ex. 06 12 34 56 78)."
            case .wrongLength:
                "Numéro de téléphone invalide : un numéro français compte 10 chiffres (ex. 06 12 34 56 78)."
            case .notAPersonalNumber:
                "Numéro de téléphone invalide : les numéros spéciaux (08…) ne sont pas acceptés."
            case .fake: "Numéro de téléphone invalide."
            }
        }
    }

    /// A number kept as typed because it cannot be read (a lead kept as `invalid`): both forms
    /// are the text itself, so that it is shown and searched as it was sent.
    public init(unreadable raw: String) {
        e164 = raw
        national = raw
    }

    init(e164: String, national: String) {
        self.e164 = e164
        self.national = national
    }

    public static func parse(_ raw: String) -> Result<FrenchPhone, Problem> {
        var text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return .failure(.empty) }
        text = text.replacingIfPresent("(0)", with: "")
        let allowedNoise: Set<Character> = [" ", ".", "-", "(", ")", "/", "\u{00A0}", "\u{202F}"]
        var digits = ""
        var plus = false
        for (index, char) in text.enumerated() {
            if char.isASCII && char.isNumber {
                digits.append(char)
            } else if char == "+" && index == 0 {
                plus = true
            } else if !allowedNoise.contains(char) {
                return .failure(.notFrench)
            }
        }
        if !plus && digits.hasPrefix("00") {
            digits.removeFirst(2)
            plus = true
        }
        var significant: String  // the 9 digits after the trunk 0
        if plus {
            guard let code = countryCodes.first(where: { digits.hasPrefix($0) }) else { return .failure(.notFrench) }
            significant = String(digits.dropFirst(code.count))
            if significant.hasPrefix("0") && significant.count == 10 { significant.removeFirst() }
        } else if digits.count == 10 && digits.hasPrefix("0") {
            significant = String(digits.dropFirst())
        } else if digits.count == 11 && digits.hasPrefix("33") {
            significant = String(digits.dropFirst(2))
        } else if digits.count == 9 && !digits.hasPrefix("0") {
            significant = digits
        } else {
            return .failure(.wrongLength)
        }
        guard significant.count == 9 else { return .failure(.wrongLength) }
        guard let first = significant.first else { return .failure(.wrongLength) }
        if first == "8" { return .failure(.notAPersonalNumber) }
        if first == "0" { return .failure(.notFrench) }
        let subscriber = significant.dropFirst()
        if Set(subscriber).count == 1 { return .failure(.fake) }
        let country =
            overseas.first { entry in entry.prefixes.contains { significant.hasPrefix($0) } }?.countryCode ?? "33"
        return .success(FrenchPhone(e164: "+" + country + significant, national: "0" + significant))
    }

    /// `+33612345678` → `+33 6 ** ** ** 78`: enough to recognize a lead, not enough to call it.
    public static func masked(_ e164: String) -> String {
        guard e164.count > 5 else { return "***" }
        return String(e164.prefix(4)) + String(repeating: "*", count: e164.count - 6) + String(e164.suffix(2))
    }
}
