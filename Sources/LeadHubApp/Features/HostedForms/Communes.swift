import Foundation
import LeadHubCore
import Vapor

/// The communes of each French postal code, for the postal-code field of hosted forms. Read
/// once at start from `Resources/HostedForms/communes.txt` (La Poste's « Base officielle des
/// codes postaux », ODbL; rebuilt by `tools/make_communes.py`).
struct Communes: Sendable {
    let byCode: [String: [String]]

    static let empty = Communes(byCode: [:])

    static func load(resources: String) throws -> Communes {
        let text = try String(contentsOfFile: resources + "HostedForms/communes.txt", encoding: .utf8)
        return Communes(byCode: parse(text))
    }

    /// `01400;Abergement Clemenciat|Chatillon sur Chalaronne` per line; `#` lines are comments.
    static func parse(_ text: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        out.reserveCapacity(6_500)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let separator = line.firstIndex(of: ";") else { continue }
            let code = String(line[..<separator])
            let names = line[line.index(after: separator)...].split(separator: "|").map(String.init)
            if code.count == 5, !names.isEmpty { out[code] = names }
        }
        return out
    }

    /// The communes of a code (empty when unknown).
    var names: FormFlow.Communes {
        let map = byCode
        return { map[$0] ?? [] }
    }
}

extension Application {
    private struct CommunesKey: StorageKey { typealias Value = Communes }

    var communes: Communes {
        get { storage[CommunesKey.self] ?? .empty }
        set { storage[CommunesKey.self] = newValue }
    }
}
