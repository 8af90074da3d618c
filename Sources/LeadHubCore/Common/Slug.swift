import Foundation

/// URL-safe identifiers made from French labels: "Maison du Lead" → "maison-du-lead".
public enum Slug {
    public static func make(_ text: String) -> String {
        let folded = text.folding(
            options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "fr_FR")
        )
        .lowercased()
        var result = ""
        var lastWasDash = false
        for scalar in folded.unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                result.unicodeScalars.append(scalar)
                lastWasDash = false
            } else if !lastWasDash && !result.isEmpty {
                result.append("-")
                lastWasDash = true
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        return String(result.prefix(60))
    }

    public static func isValid(_ slug: String) -> Bool {
        !slug.isEmpty && slug.count <= 60 && make(slug) == slug
    }
}
