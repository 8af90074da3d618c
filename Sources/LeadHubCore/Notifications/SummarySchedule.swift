import Foundation

/// A period a summary e-mail covers: a Paris day, or a Monday-to-Sunday week.
public struct SummaryPeriod: Sendable, Equatable {
    public enum Kind: String, Sendable { case daily, weekly }

    public let kind: Kind
    /// "2026-11-26" or "2026-W48": remembered so that a period is sent once.
    public let key: String
    public let start: Date
    public let end: Date
    /// "jeudi 26 novembre 2026" or "semaine du 16 au 22 novembre 2026".
    public let label: String
}

/// When the summaries go out: every day at 7:00 (Europe/Paris) for the day before, and on
/// Mondays at 7:00 for the week before. A server that was down at 7:00 sends them when it comes
/// back the same day. `hour` moves the 7:00 (`LEADHUB_SUMMARY_HOUR`).
public enum SummarySchedule {
    public static let hour = 7

    public static func due(now: Date, lastDaily: String?, lastWeekly: String?, hour: Int = hour) -> [SummaryPeriod] {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = FrenchFormat.parisTimeZone
        guard calendar.component(.hour, from: now) >= hour else { return [] }
        let today = calendar.startOfDay(for: now)
        var result: [SummaryPeriod] = []
        let yesterday = calendar.date(byAdding: .day, value: -1, to: today)!
        let day = daily(yesterday, calendar)
        if day.key != lastDaily { result.append(day) }
        if calendar.component(.weekday, from: now) == 2 {  // Monday
            let week = weekly(calendar.date(byAdding: .day, value: -7, to: today)!, calendar)
            if week.key != lastWeekly { result.append(week) }
        }
        return result
    }

    /// The last complete period of a kind at `now`, for "envoyer maintenant": yesterday, or the
    /// Monday-to-Sunday week before the current one (the first version's rule).
    public static func latest(_ kind: SummaryPeriod.Kind, now: Date) -> SummaryPeriod {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = FrenchFormat.parisTimeZone
        let today = calendar.startOfDay(for: now)
        switch kind {
        case .daily: return daily(calendar.date(byAdding: .day, value: -1, to: today)!, calendar)
        case .weekly:
            let monday = calendar.dateInterval(of: .weekOfYear, for: now)!.start
            return weekly(calendar.date(byAdding: .day, value: -7, to: monday)!, calendar)
        }
    }

    static func daily(_ start: Date, _ calendar: Calendar) -> SummaryPeriod {
        let parts = calendar.dateComponents([.year, .month, .day], from: start)
        let key = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "fr_FR")
        formatter.timeZone = calendar.timeZone
        formatter.dateFormat = "EEEE d MMMM yyyy"
        return SummaryPeriod(
            kind: .daily, key: key, start: start, end: calendar.date(byAdding: .day, value: 1, to: start)!,
            label: formatter.string(from: start))
    }

    static func weekly(_ monday: Date, _ calendar: Calendar) -> SummaryPeriod {
        let parts = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: monday)
        let key = String(format: "%04d-W%02d", parts.yearForWeekOfYear!, parts.weekOfYear!)
        let sunday = calendar.date(byAdding: .day, value: 6, to: monday)!
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "fr_FR")
        formatter.timeZone = calendar.timeZone
        formatter.dateFormat = "d MMMM yyyy"
        let first = calendar.component(.day, from: monday)
        return SummaryPeriod(
            kind: .weekly, key: key, start: monday, end: calendar.date(byAdding: .day, value: 7, to: monday)!,
            label: "semaine du \(first) au \(formatter.string(from: sunday))")
    }
}
