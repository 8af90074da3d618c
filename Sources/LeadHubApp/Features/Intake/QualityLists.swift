import Foundation
import LeadHubCore
import Vapor

/// The lists the quality score reads: disposable e-mail domains, from the file shipped in
/// `Resources/Quality/` or the one `LEADHUB_DISPOSABLE_DOMAINS_FILE` names.
struct QualityLists: Sendable {
    let disposableDomains: Set<String>

    static let empty = QualityLists(disposableDomains: [])

    static func load(config: AppConfig, resources: String) throws -> QualityLists {
        let path = config.disposableDomainsFile ?? resources + "Quality/disposable-email-domains.txt"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return QualityLists(disposableDomains: parse(text))
    }

    /// One domain per line; `#` starts a comment.
    static func parse(_ text: String) -> Set<String> {
        Set(
            text.split(whereSeparator: \.isNewline).compactMap { line -> String? in
                let domain =
                    line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?
                    .trimmingCharacters(in: .whitespaces).lowercased() ?? ""
                return domain.isEmpty ? nil : domain
            })
    }
}

extension Application {
    private struct QualityListsKey: StorageKey { typealias Value = QualityLists }

    var qualityLists: QualityLists {
        get { storage[QualityListsKey.self] ?? .empty }
        set { storage[QualityListsKey.self] = newValue }
    }
}
