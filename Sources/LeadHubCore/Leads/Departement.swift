import Foundation

/// French départements from postal codes.
public enum Departement {
    /// Département code of a French postal code: "75008" → "75", "20090" → "2A", "20600" → "2B",
    /// "97400" → "974". Nil for anything that is not a French postal code LeadHub serves
    /// (Monaco and the Pacific territories use 98xxx).
    public static func from(postalCode raw: String) -> String? {
        let code = raw.trimmingCharacters(in: .whitespaces)
        guard code.count == 5, code.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let two = String(code.prefix(2))
        switch two {
        case "00": return nil
        case "20":
            // Corse-du-Sud 200xx–201xx; Haute-Corse 202xx and 206xx.
            let third = code[code.index(code.startIndex, offsetBy: 2)]
            switch third {
            case "0", "1": return "2A"
            case "2", "6": return "2B"
            default: return nil
            }
        case "97":
            let three = String(code.prefix(3))
            return ["971", "972", "973", "974", "975", "976"].contains(three) ? three : nil
        case "98", "99": return nil
        default: return two
        }
    }

    /// Every département code: 01–19, 2A, 2B, 21–95, 971–976 (975, Saint-Pierre-et-Miquelon, is a
    /// collectivity with département-like postal codes).
    public static let all: [String] =
        (1...19).map { String(format: "%02d", $0) } + ["2A", "2B"] + (21...95).map { String(format: "%02d", $0) }
        + ["971", "972", "973", "974", "975", "976"]

    public static func isMetropolitan(_ code: String) -> Bool {
        code.count == 2
    }

    public static func isValid(_ code: String) -> Bool {
        all.contains(code.uppercased())
    }
}
