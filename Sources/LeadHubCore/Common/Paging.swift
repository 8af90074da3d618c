import Foundation

/// Page-number pagination for back-office lists.
public struct PageWindow: Equatable, Sendable {
    public let page: Int
    public let perPage: Int
    public let total: Int

    public init(page: Int?, perPage: Int = 25, total: Int) {
        self.perPage = max(1, perPage)
        self.total = max(0, total)
        let last = max(1, (self.total + self.perPage - 1) / self.perPage)
        self.page = min(max(1, page ?? 1), last)
    }

    public var pageCount: Int { max(1, (total + perPage - 1) / perPage) }
    public var offset: Int { (page - 1) * perPage }
    public var hasPrevious: Bool { page > 1 }
    public var hasNext: Bool { page < pageCount }
    /// "1–25 sur 130" as shown under a list.
    public var rangeLabel: String {
        if total == 0 { return "Aucun élément" }
        let first = offset + 1
        let last = min(total, offset + perPage)
        return "\(first)–\(last) sur \(FrenchFormat.integer(total))"
    }
}

/// French number and date formatting shared by pages, exports and e-mails.
public enum FrenchFormat {
    /// 1234567 → "1 234 567" (narrow no-break space as the thousands separator).
    public static func integer(_ value: Int) -> String {
        let digits = String(abs(value))
        var out = ""
        for (index, char) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append("\u{202F}") }
            out.append(char)
        }
        return value < 0 ? "-" + out : out
    }

    /// 1234.5 → "1 234,50 €".
    public static func euros(_ value: Double) -> String {
        let cents = Int((abs(value) * 100).rounded())
        let text = integer(cents / 100) + "," + String(format: "%02d", cents % 100) + "\u{00A0}€"
        return value < 0 ? "-" + text : text
    }

    public static let parisTimeZone = TimeZone(identifier: "Europe/Paris")!

    /// "27/11/2026 14:05" in Europe/Paris time.
    public static func dateTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = parisTimeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%02d/%02d/%04d %02d:%02d", c.day!, c.month!, c.year!, c.hour!, c.minute!)
    }
}
