import Foundation

/// One reason a lead looks doubtful, with the points it adds to the score.
public struct QualitySignal: Sendable, Equatable, Codable {
    public let code: String
    /// What an editor reads in « À vérifier » (French).
    public let label: String
    public let points: Int

    public init(code: String, label: String, points: Int) {
        self.code = code
        self.label = label
        self.points = points
    }
}

/// A lead's quality score (0 good … 100 surely bad) and its reasons.
public struct QualityAssessment: Sendable, Equatable, Codable {
    public var signals: [QualitySignal]

    public init(signals: [QualitySignal] = []) { self.signals = signals }

    public var score: Int { min(100, signals.reduce(0) { $0 + $1.points }) }
    /// A filled honeypot: a robot, rejected whatever the thresholds.
    public var isRobot: Bool { signals.contains { $0.code == LeadQuality.honeypot } }

    /// What the organization's thresholds make of it.
    public func verdict(hold: Int, reject: Int) -> Verdict {
        if isRobot || score >= reject { return .reject }
        if score >= hold { return .hold }
        return .pass
    }

    public enum Verdict: Sendable, Equatable { case pass, hold, reject }
}

/// The quality score of a lead, pure: each signal is a function of what intake knows about the
/// submission (its fields, the page's timing, its address) and, for repeats, of the leads stored
/// in the last 24 hours. Weights are chosen so that one doubtful sign alone stays under the
/// default hold threshold (40), except those that are almost never innocent.
public enum LeadQuality {
    public static let honeypot = "honeypot"
    public static let tooFast = "too_fast"
    public static let repeatedAddress = "repeated_address"
    public static let repeatedVisitor = "repeated_visitor"
    public static let foreignAddress = "foreign_address"
    public static let suspectRange = "suspect_range"
    public static let disposableEmail = "disposable_email"
    public static let fakePhone = "fake_phone"
    public static let fakeName = "fake_name"
    public static let unknownPostalCode = "unknown_postal_code"

    public static let defaultHoldThreshold = 40
    public static let defaultRejectThreshold = 70
    /// Under this many seconds between the first interaction with the form and its submission,
    /// nobody typed it.
    public static let minimumFillSeconds = 10.0

    /// What intake knows of a submission before looking at earlier leads.
    public struct Input: Sendable, Equatable {
        public var honeypot: String?
        /// Milliseconds from the first interaction with the form (`form_start`) to the submission,
        /// as the page measured it; nil when the page does not say.
        public var formElapsedMs: Int?
        /// The country the reverse proxy names for the address (`CF-IPCountry`…), when configured.
        public var country: String?
        public var addressInSuspectRange: Bool
        public var email: String?
        /// National form, `0612345678`, when the phone could be read.
        public var nationalPhone: String?
        public var nom: String?
        public var prenom: String?
        public var codePostal: String?

        public init(
            honeypot: String? = nil, formElapsedMs: Int? = nil, country: String? = nil,
            addressInSuspectRange: Bool = false, email: String? = nil, nationalPhone: String? = nil,
            nom: String? = nil, prenom: String? = nil, codePostal: String? = nil
        ) {
            self.honeypot = honeypot
            self.formElapsedMs = formElapsedMs
            self.country = country
            self.addressInSuspectRange = addressInSuspectRange
            self.email = email
            self.nationalPhone = nationalPhone
            self.nom = nom
            self.prenom = prenom
            self.codePostal = codePostal
        }
    }

    /// The signals of the submission itself.
    public static func assess(_ input: Input, disposableDomains: Set<String>) -> QualityAssessment {
        var signals: [QualitySignal] = []
        if let trap = input.honeypot, !trap.trimmedText.isEmpty {
            signals.append(.init(code: honeypot, label: "Champ piège rempli (robot)", points: 100))
        }
        if let elapsed = input.formElapsedMs, elapsed >= 0, Double(elapsed) < minimumFillSeconds * 1_000 {
            let seconds = (Double(elapsed) / 1_000).formatted(.number.precision(.fractionLength(1)))
            signals.append(
                .init(
                    code: tooFast, label: "Formulaire rempli en \(seconds) s (moins de 10 s)",
                    points: elapsed < 3_000 ? 35 : 25))
        }
        if let country = input.country?.trimmedText.uppercased(), !country.isEmpty, !isFrench(country: country) {
            signals.append(
                .init(
                    code: foreignAddress,
                    label: country == "T1" ? "Adresse IP du réseau Tor" : "Adresse IP hors de France (\(country))",
                    points: 30))
        }
        if input.addressInSuspectRange {
            signals.append(
                .init(code: suspectRange, label: "Adresse IP dans une plage suspecte (proxy, VPN)", points: 30))
        }
        if let email = input.email, isDisposable(email: email, domains: disposableDomains) {
            signals.append(.init(code: disposableEmail, label: "Adresse e-mail jetable", points: 30))
        }
        if let phone = input.nationalPhone, isFakeLooking(nationalPhone: phone) {
            signals.append(
                .init(code: fakePhone, label: "Numéro de téléphone fantaisiste (chiffres répétés ou suite)", points: 45)
            )
        }
        let names = [input.nom, input.prenom].compactMap { $0 }.filter { isSuspect(name: $0) }
        if !names.isEmpty {
            signals.append(
                .init(
                    code: fakeName,
                    label: "Nom suspect : " + names.map { "« \($0.prefix(40)) »" }.joined(separator: ", "),
                    points: 35))
        }
        if let code = input.codePostal, !isPlausiblePostalCode(code) {
            signals.append(
                .init(code: unknownPostalCode, label: "Code postal inexistant (\(code.prefix(10)))", points: 25))
        }
        return QualityAssessment(signals: signals)
    }

    /// The repeat signals: `sameAddress` and `sameVisitor` count the leads stored in the last 24 h
    /// from the same IP address and the same browser (this one not included).
    public static func repeats(sameAddress: Int, sameVisitor: Int) -> [QualitySignal] {
        var signals: [QualitySignal] = []
        if sameAddress >= 2 {
            signals.append(
                .init(
                    code: repeatedAddress, label: "\(sameAddress + 1) leads de la même adresse IP en 24 h",
                    points: sameAddress >= 5 ? 35 : 20))
        }
        if sameVisitor >= 1 {
            signals.append(
                .init(
                    code: repeatedVisitor, label: "\(sameVisitor + 1) leads du même visiteur en 24 h", points: 25))
        }
        return signals
    }

    /// France and its overseas territories, as ISO codes (what Cloudflare and GeoIP name them).
    static let frenchCountries: Set<String> = ["FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF"]

    public static func isFrench(country: String) -> Bool { frenchCountries.contains(country.uppercased()) }

    public static func isDisposable(email: String, domains: Set<String>) -> Bool {
        guard let at = email.lastIndex(of: "@") else { return false }
        var domain = email[email.index(after: at)...].lowercased()
        // A subdomain of a disposable domain is disposable too (`x.yopmail.com`).
        while !domain.isEmpty {
            if domains.contains(domain) { return true }
            guard let dot = domain.firstIndex(of: ".") else { return false }
            domain = String(domain[domain.index(after: dot)...])
        }
        return false
    }

    /// `0612345678`, `0698765432`, `0612121212`, `0612341234`, `0600000001`: numbers nobody has.
    public static func isFakeLooking(nationalPhone: String) -> Bool {
        let digits = nationalPhone.compactMap(\.wholeNumberValue)
        guard digits.count == 10 else { return false }
        let subscriber = Array(digits.dropFirst(2))  // after 06, 07, 01…
        let commonest = Dictionary(grouping: subscriber, by: { $0 }).values.map(\.count).max() ?? 0
        if commonest >= 7 { return true }  // 0600000000, 0600000001
        let steps = zip(subscriber, subscriber.dropFirst()).map { ($1 - $0 + 10) % 10 }
        if steps.allSatisfy({ $0 == 1 }) || steps.allSatisfy({ $0 == 9 }) { return true }  // 12345678, 87654321
        func repeats(_ period: Int) -> Bool {
            subscriber.indices.allSatisfy { subscriber[$0] == subscriber[$0 % period] }
        }
        if repeats(2) || repeats(4) { return true }  // 12121212, 12341234
        return false
    }

    static let fakeNames: Set<String> = [
        "test", "tests", "testing", "testtest", "essai", "azerty", "qwerty", "qwertz", "asdf", "qsdf", "toto",
        "titi", "tata", "tutu", "foo", "foobar", "xxx", "xx", "abc", "abcd", "nom", "prenom", "name",
        "fake", "bidon", "aucun", "none", "null", "anonyme", "lol",
    ]
    static let keyboardRows = [
        "azertyuiop", "qsdfghjklm", "wxcvbn", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghij",
    ]

    /// "test", "azerty", "qsdfgh", "A", "aaaa", "Jean2": not somebody's name.
    public static func isSuspect(name raw: String) -> Bool {
        let name = LeadSubmission.fold(raw.trimmedText)
        let letters = name.filter { $0.isLetter }
        if letters.count <= 1 { return true }
        if name.contains(where: { $0.isNumber }) { return true }
        if fakeNames.contains(letters) { return true }
        let words = name.split(whereSeparator: { !$0.isLetter }).map(String.init)
        if words.contains(where: { fakeNames.contains($0) }) { return true }
        if Set(letters).count == 1 { return true }
        if letters.count >= 4, keyboardRows.contains(where: { $0.containsBytes(letters) }) { return true }
        return false
    }

    /// A postal code that can exist: a known département, and for Paris, Lyon and Marseille one of
    /// their arrondissements. (Not La Poste's list of every code: a plausibility check.)
    public static func isPlausiblePostalCode(_ code: String) -> Bool {
        guard code.count == 5, code.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(code) else {
            return false
        }
        guard Departement.from(postalCode: code) != nil else { return false }
        if Set(code).count == 1 || code == "12345" { return false }
        if code.hasPrefix("75") { return (75001...75020).contains(number) || number == 75116 }
        if code.hasPrefix("690") { return (69001...69009).contains(number) || number >= 69010 }
        if code.hasPrefix("130") { return (13001...13016).contains(number) || number >= 13017 }
        return true
    }
}

/// An IPv4 or IPv6 address range in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`), or one
/// address.
public struct IPRange: Sendable, Equatable {
    let bytes: [UInt8]
    let prefix: Int

    public init?(_ text: String) {
        let parts = text.trimmedText.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let bytes = IPRange.parse(first) else { return nil }
        let bits = bytes.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : bits
        guard let prefix, (0...bits).contains(prefix) else { return nil }
        self.bytes = bytes
        self.prefix = prefix
    }

    /// Loopback, private, link-local and carrier-grade NAT ranges: the address of a reverse proxy
    /// or of an internal caller, not of a visitor (their repeats say nothing about a lead).
    static let internalRanges: [IPRange] = [
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
        "::1/128", "fc00::/7", "fe80::/10",
    ].compactMap { IPRange($0) }

    /// Whether `address` is a visitor's address on the internet (not internal, see `internalRanges`).
    public static func isPublic(_ address: String) -> Bool {
        guard let bytes = parse(address) else { return false }
        return !internalRanges.contains { $0.contains(bytes: bytes) }
    }

    public func contains(_ address: String) -> Bool {
        guard let other = IPRange.parse(address) else { return false }
        return contains(bytes: other)
    }

    /// The same, for an address already read (parsed once for every range it is checked against).
    func contains(bytes parsed: [UInt8]) -> Bool {
        var other = parsed
        if other.count == 16, bytes.count == 4, other.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] {
            other = Array(other.suffix(4))  // ::ffff:203.0.113.7
        }
        guard other.count == bytes.count else { return false }
        var left = prefix
        for index in bytes.indices where left > 0 {
            let take = min(8, left)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - take))
            if bytes[index] & mask != other[index] & mask { return false }
            left -= take
        }
        return true
    }

    /// The 4 or 16 bytes of an address.
    static func parse(_ text: String) -> [UInt8]? {
        if text.utf8.contains(UInt8(ascii: ":")) { return parseIPv6(text) }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            if part.isEmpty { return [] }
            var out: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.utf8.contains(UInt8(ascii: ".")) {
                    guard let v4 = parse(String(piece)) else { return nil }
                    out += v4
                    continue
                }
                guard !piece.isEmpty, piece.count <= 4, let value = UInt16(piece, radix: 16) else { return nil }
                out += [UInt8(value >> 8), UInt8(value & 0xff)]
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count < 16 else { return nil }
        return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}
