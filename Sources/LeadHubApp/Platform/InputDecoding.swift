import Foundation

/// Lenient readers shared by every input struct, so that the same struct decodes a JSON body
/// and an HTML form post. Convention for updates: an absent key means "keep", an explicit
/// `null` or empty string means "clear".
extension KeyedDecodingContainer {
    /// Absent → nil; null → ""; a string as is; a number or a boolean as its text.
    func text(_ key: Key) throws -> String? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) { return "" }
        if let string = try? decode(String.self, forKey: key) { return string }
        if let int = try? decode(Int.self, forKey: key) { return String(int) }
        if let double = try? decode(Double.self, forKey: key) { return String(double) }
        if let bool = try? decode(Bool.self, forKey: key) { return String(bool) }
        throw DecodingError.typeMismatch(
            String.self, .init(codingPath: codingPath + [key], debugDescription: "Texte attendu."))
    }

    /// A boolean from JSON, or "on"/"true"/"1"/"oui" from a form.
    func flag(_ key: Key) throws -> Bool? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let bool = try? decode(Bool.self, forKey: key) { return bool }
        if let text = try? decode(String.self, forKey: key) {
            return ["on", "true", "1", "oui", "yes"].contains(text.lowercased())
        }
        if let int = try? decode(Int.self, forKey: key) { return int != 0 }
        throw DecodingError.typeMismatch(
            Bool.self, .init(codingPath: codingPath + [key], debugDescription: "Booléen attendu."))
    }

    /// A list of strings: a JSON array, or text separated by commas or new lines.
    func list(_ key: Key) throws -> [String]? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) { return [] }
        if let array = try? decode([String].self, forKey: key) {
            return array.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        }
        if let text = try? decode(String.self, forKey: key) {
            return text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == "\r" })
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        }
        throw DecodingError.typeMismatch(
            [String].self, .init(codingPath: codingPath + [key], debugDescription: "Liste attendue."))
    }

    /// Named links: a JSON array of `{"name", "url"}`, or lines `Nom = https://…` from a textarea.
    func namedURLs(_ key: Key) throws -> [NamedURL]? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) { return [] }
        if let array = try? decode([NamedURL].self, forKey: key) { return array }
        if let text = try? decode(String.self, forKey: key) { return NamedURL.parseLines(text) }
        throw DecodingError.typeMismatch(
            [NamedURL].self,
            .init(codingPath: codingPath + [key], debugDescription: "Liste de {name, url} attendue."))
    }
}

extension NamedURL {
    /// "Google = https://…" per line; a line without "=" gets its URL as its name.
    static func parseLines(_ text: String) -> [NamedURL] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return nil }
            if let range = trimmed.range(of: "=") {
                let name = trimmed[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let url = trimmed[range.upperBound...].trimmingCharacters(in: .whitespaces)
                return NamedURL(name: name, url: url)
            }
            return NamedURL(name: trimmed, url: trimmed)
        }
    }

    static func lines(_ list: [NamedURL]) -> String {
        list.map { "\($0.name) = \($0.url)" }.joined(separator: "\n")
    }
}

/// Validates named links: each needs a name and an absolute http(s) URL; names are unique.
import LeadHubCore

func checkNamedURLs(_ list: [NamedURL], field: String, errors: inout FieldErrors) -> [NamedURL] {
    var seen = Set<String>()
    var result: [NamedURL] = []
    for item in list.prefix(50) {
        let name = item.name.trimmingCharacters(in: .whitespaces)
        let url = item.url.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > 100 {
            errors.add(field, "Chaque lien doit avoir un nom (100 caractères au plus).")
        } else if seen.contains(name.lowercased()) {
            errors.add(field, "Le nom « \(name) » est utilisé deux fois.")
        }
        if !Check.isHTTPURL(url) {
            errors.add(field, "Adresse invalide pour « \(name) » : elle doit commencer par http:// ou https://.")
        }
        seen.insert(name.lowercased())
        result.append(NamedURL(name: name, url: url))
    }
    if list.count > 50 { errors.add(field, "50 liens au plus.") }
    return result
}
