import Foundation

/// Field-level validation errors, gathered all at once and keyed by the JSON field name.
///
/// Messages are in French: they are shown as they are to the people who typed the input.
public struct FieldErrors: Error, Equatable, Sendable {
    public private(set) var messages: [String: [String]] = [:]

    public init() {}

    public init(_ messages: [String: [String]]) {
        self.messages = messages
    }

    public var isEmpty: Bool { messages.isEmpty }

    public mutating func add(_ field: String, _ message: String) {
        messages[field, default: []].append(message)
    }

    public mutating func merge(_ other: FieldErrors) {
        for (field, list) in other.messages {
            messages[field, default: []].append(contentsOf: list)
        }
    }

    /// Throws `self` when at least one error was gathered.
    public func throwIfAny() throws {
        if !isEmpty { throw self }
    }

    /// The first message of a field, for forms that show one message under each input.
    public func first(_ field: String) -> String? { messages[field]?.first }

    /// Every message in one line, for a flash message.
    public var summary: String { messages.values.flatMap { $0 }.joined(separator: " ") }
}

/// Small reusable checks on user input. Each returns the normalized value or records an error.
public enum Check {
    /// Trims the value and requires it to be non-empty and at most `max` characters.
    public static func requiredText(
        _ value: String?, field: String, max: Int = 200, errors: inout FieldErrors
    ) -> String {
        let text = (value ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty {
            errors.add(field, "Ce champ est obligatoire.")
        } else if text.count > max {
            errors.add(field, "Ce champ ne doit pas dépasser \(max) caractères.")
        }
        return text
    }

    /// Trims an optional value: empty becomes nil; too long records an error.
    public static func optionalText(
        _ value: String?, field: String, max: Int = 10_000, errors: inout FieldErrors
    ) -> String? {
        guard let value else { return nil }
        let text = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return nil }
        if text.count > max {
            errors.add(field, "Ce champ ne doit pas dépasser \(max) caractères.")
        }
        return text
    }

    /// An absolute http(s) URL, or nil when empty.
    public static func optionalURL(_ value: String?, field: String, errors: inout FieldErrors) -> String? {
        guard let text = optionalText(value, field: field, max: 2_000, errors: &errors) else { return nil }
        if !isHTTPURL(text) {
            errors.add(field, "Adresse invalide : elle doit commencer par http:// ou https://.")
        }
        return text
    }

    public static func isHTTPURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty,
            !text.contains(" ")
        else { return false }
        return true
    }

    /// A CSS hex color like `#1a2b3c` or `#abc`, or nil when empty.
    public static func optionalColor(_ value: String?, field: String, errors: inout FieldErrors) -> String? {
        guard let text = optionalText(value, field: field, max: 7, errors: &errors) else { return nil }
        let hex = text.hasPrefix("#") ? String(text.dropFirst()) : text
        let valid = (hex.count == 3 || hex.count == 6) && hex.allSatisfy(\.isHexDigit)
        if !valid {
            errors.add(field, "Couleur invalide : utilisez le format #RRGGBB.")
            return text
        }
        return "#" + hex.lowercased()
    }

    /// A domain name like `solaire-eco.fr` (no scheme, no path), or nil when empty.
    public static func optionalDomain(_ value: String?, field: String, errors: inout FieldErrors) -> String? {
        guard var text = optionalText(value, field: field, max: 253, errors: &errors) else { return nil }
        text = text.lowercased()
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        let valid =
            labels.count >= 2
            && labels.allSatisfy { label in
                !label.isEmpty && label.count <= 63 && label.allSatisfy { allowed.contains($0) }
                    && !label.hasPrefix("-") && !label.hasSuffix("-")
            }
        if !valid {
            errors.add(field, "Nom de domaine invalide (exemple : mon-site.fr, sans http://).")
        }
        return text
    }
}
