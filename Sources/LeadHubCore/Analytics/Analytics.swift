import Foundation

/// Dashboard periods, in Europe/Paris days: "aujourd'hui", "hier", "7 jours" (today and the six
/// days before), "cette semaine" (since Monday), "ce mois", "mois dernier", or chosen days. Each has a previous period of the same
/// kind to compare with.
public enum AnalyticsPeriod: Sendable, Equatable {
    case today, yesterday, last7Days, thisWeek, thisMonth, lastMonth
    /// From the first day to the last day, both included ("YYYY-MM-DD" in Paris).
    case custom(from: String, to: String)

    public static let choices: [(key: String, label: String)] = [
        ("today", "Aujourd'hui"), ("yesterday", "Hier"), ("7d", "7 jours"), ("week", "Cette semaine"),
        ("month", "Ce mois"),
        ("last_month", "Mois dernier"), ("custom", "Personnalisé"),
    ]

    public var key: String {
        switch self {
        case .today: "today"
        case .yesterday: "yesterday"
        case .last7Days: "7d"
        case .thisWeek: "week"
        case .thisMonth: "month"
        case .lastMonth: "last_month"
        case .custom: "custom"
        }
    }

    /// The period named by a key (and the days of a custom one); nil when unknown or invalid.
    public static func named(_ key: String?, from: String? = nil, to: String? = nil) -> AnalyticsPeriod? {
        switch key ?? "" {
        case "today": return .today
        case "yesterday": return .yesterday
        case "7d", "": return .last7Days
        case "week", "semaine": return .thisWeek
        case "month": return .thisMonth
        case "last_month": return .lastMonth
        case "custom":
            guard let from, let to, ParisDay.start(of: from) != nil, ParisDay.start(of: to) != nil, from <= to else {
                return nil
            }
            return .custom(from: from, to: to)
        default: return nil
        }
    }

    /// [start, end) of the period at `now`. "Aujourd'hui" and "ce mois" end at the end of the day
    /// or month, not at `now`.
    public func range(now: Date) -> DateInterval {
        let calendar = ParisDay.calendar
        let today = calendar.startOfDay(for: now)
        func day(_ offset: Int, from base: Date = today) -> Date {
            calendar.date(byAdding: .day, value: offset, to: base)!
        }
        let monthStart = calendar.date(from: calendar.dateComponents([.year, .month], from: now))!
        switch self {
        case .today: return DateInterval(start: today, end: day(1))
        case .yesterday: return DateInterval(start: day(-1), end: today)
        case .last7Days: return DateInterval(start: day(-6), end: day(1))
        case .thisWeek:
            // ISO weeks start on Monday (the first version's "semaine").
            let monday = calendar.dateInterval(of: .weekOfYear, for: now)!.start
            return DateInterval(start: monday, end: day(7, from: monday))
        case .thisMonth:
            return DateInterval(start: monthStart, end: calendar.date(byAdding: .month, value: 1, to: monthStart)!)
        case .lastMonth:
            return DateInterval(start: calendar.date(byAdding: .month, value: -1, to: monthStart)!, end: monthStart)
        case .custom(let from, let to):
            let start = ParisDay.start(of: from)!
            return DateInterval(start: start, end: day(1, from: ParisDay.start(of: to)!))
        }
    }

    /// The period just before, to compare with: the day before, the seven days before, the month
    /// before, or as many days before a custom period.
    public func previousRange(now: Date) -> DateInterval {
        let calendar = ParisDay.calendar
        let current = range(now: now)
        switch self {
        case .thisMonth, .lastMonth:
            let start = calendar.date(byAdding: .month, value: -1, to: current.start)!
            return DateInterval(start: start, end: current.start)
        default:
            let days = ParisDay.count(from: current.start, to: current.end)
            return DateInterval(
                start: calendar.date(byAdding: .day, value: -days, to: current.start)!, end: current.start)
        }
    }
}

/// Paris calendar days: parsing "YYYY-MM-DD", day numbers for daily buckets, day counts across
/// daylight-saving changes (a Paris day lasts 23, 24 or 25 hours).
public enum ParisDay {
    public static let calendar: Calendar = {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = FrenchFormat.parisTimeZone
        return calendar
    }()

    /// Midnight in Paris at the start of that day.
    public static func start(of text: String) -> Date? {
        let parts = text.split(separator: "-")
        guard text.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]),
            let day = Int(parts[2]), (2000...2100).contains(year), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let components = DateComponents(year: year, month: month, day: day)
        guard let date = calendar.date(from: components),
            calendar.component(.day, from: date) == day, calendar.component(.month, from: date) == month
        else { return nil }
        return date
    }

    /// "YYYY-MM-DD" of the Paris day containing `date`.
    public static func text(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// Days since 1970-01-01 of the Paris day containing `date`: the key of daily buckets.
    public static func number(_ date: Date) -> Int {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        var utc = Calendar(identifier: .iso8601)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let midnight = utc.date(from: DateComponents(year: parts.year, month: parts.month, day: parts.day))!
        return Int((midnight.timeIntervalSince1970 / 86_400).rounded())
    }

    /// Whole Paris days between two Paris midnights.
    public static func count(from start: Date, to end: Date) -> Int {
        calendar.dateComponents([.day], from: start, to: end).day ?? 0
    }
}

/// Hour buckets of the aggregate tables: hours since 1970 (UTC). Paris is a whole number of hours
/// from UTC, so Paris days are whole runs of buckets.
public enum StatsHour {
    public static func bucket(_ date: Date) -> Int { Int((date.timeIntervalSince1970 / 3_600).rounded(.down)) }
    public static func start(_ bucket: Int) -> Date { Date(timeIntervalSince1970: Double(bucket) * 3_600) }
}

/// The funnel's counts and the conversion rates between its steps.
public struct FunnelCounts: Sendable, Equatable, Codable {
    public var visits = 0
    public var ctaClicks = 0
    public var formStarts = 0
    public var leads = 0
    public var delivered = 0
    public var duplicates = 0

    public init(
        visits: Int = 0, ctaClicks: Int = 0, formStarts: Int = 0, leads: Int = 0, delivered: Int = 0,
        duplicates: Int = 0
    ) {
        self.visits = visits
        self.ctaClicks = ctaClicks
        self.formStarts = formStarts
        self.leads = leads
        self.delivered = delivered
        self.duplicates = duplicates
    }

    public static func + (a: FunnelCounts, b: FunnelCounts) -> FunnelCounts {
        FunnelCounts(
            visits: a.visits + b.visits, ctaClicks: a.ctaClicks + b.ctaClicks, formStarts: a.formStarts + b.formStarts,
            leads: a.leads + b.leads, delivered: a.delivered + b.delivered, duplicates: a.duplicates + b.duplicates)
    }

    /// Rates between steps, as fractions (0.125 = 12.5 %); nil when the step before is zero.
    public var rates: [String: Double?] {
        func rate(_ part: Int, _ whole: Int) -> Double? { whole > 0 ? Double(part) / Double(whole) : nil }
        return [
            "visit_to_cta": rate(ctaClicks, visits),
            "cta_to_form_start": rate(formStarts, ctaClicks),
            "form_start_to_lead": rate(leads, formStarts),
            "visit_to_lead": rate(leads, visits),
            "lead_to_delivered": rate(delivered, leads),
            "duplicate_share": rate(duplicates, leads),
        ]
    }

    /// Change from `previous` to `current`, as a fraction (+0.25 = +25 %); nil when there was nothing before.
    public static func change(_ current: Int, from previous: Int) -> Double? {
        previous > 0 ? Double(current - previous) / Double(previous) : nil
    }
}

/// A calendar day in Europe/Paris, from `YYYY-MM-DD`: [start, end).
public struct ParisDayRange: Sendable, Equatable {
    public let start: Date
    public let end: Date

    public init?(_ text: String) {
        guard let start = ParisDay.start(of: text),
            let end = ParisDay.calendar.date(byAdding: .day, value: 1, to: start)
        else { return nil }
        self.start = start
        self.end = end
    }
}
