import Foundation

/// E-mail syntax check and normalization (lowercased, trimmed). Deliberately pragmatic:
/// one `@`, a non-empty local part, a domain with a dot, no spaces.
public enum EmailAddress {
    public static func normalize(_ raw: String) -> String? {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard text.count <= 254 else { return nil }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let local = parts[0]
        let domain = parts[1]
        guard !local.isEmpty, local.count <= 64, !domain.isEmpty else { return nil }
        guard !text.contains(where: { $0.isWhitespace || $0 == "," || $0 == ";" || $0 == "<" || $0 == ">" })
        else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }), labels.last!.count >= 2 else { return nil }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.containsBytes("..") else { return nil }
        return text
    }
}
