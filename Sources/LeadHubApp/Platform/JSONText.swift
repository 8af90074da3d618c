import Foundation

/// Small lists and maps stored as JSON text columns: portable across SQLite and PostgreSQL,
/// and readable by raw SQL later. Decoding failures yield the empty value rather than a crash.
enum JSONText {
    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String?, default fallback: T) -> T {
        guard let text, let data = text.data(using: .utf8) else { return fallback }
        return (try? JSONDecoder().decode(T.self, from: data)) ?? fallback
    }
}

/// A named link or image: "Google" → https://…, "hero" → /assets/….
struct NamedURL: Codable, Equatable, Sendable {
    var name: String
    var url: String
}
