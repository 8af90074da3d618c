import Foundation

/// Where a lead's delivery to its CRM stands.
public enum DeliveryStatus: String, Codable, CaseIterable, Sendable {
    /// Waiting for its first attempt.
    case pending
    /// Failed in a way that may pass: tried again at `next_attempt_at`.
    case retrying
    /// The CRM took it.
    case delivered
    /// The CRM already had it ("doublon").
    case duplicate
    /// The CRM refused it (400): a human must look.
    case refused
    /// The CRM refused our credentials (401/403): a human must fix the token.
    case authError = "auth_error"
    /// Every attempt of the schedule failed.
    case exhausted
    /// Cancelled by a person.
    case cancelled
    /// Never to be sent (duplicate lead, no destination).
    case notSent = "not_sent"

    public var label: String {
        switch self {
        case .pending: "En attente"
        case .retrying: "Nouvel essai prévu"
        case .delivered: "Livré"
        case .duplicate: "Doublon chez le CRM"
        case .refused: "Refusé par le CRM"
        case .authError: "Erreur d'authentification"
        case .exhausted: "Épuisé"
        case .cancelled: "Annulé"
        case .notSent: "Non envoyé"
        }
    }

    /// Still to be sent by the workers.
    public var isWaiting: Bool { self == .pending || self == .retrying }
    /// Ended without reaching the CRM in a way a person should look at.
    public var needsHuman: Bool { self == .refused || self == .authError || self == .exhausted }
}

/// The waits between attempts: 1 min, 5 min, 15 min, 1 h, 2 h, 6 h, 12 h, 24 h by default, then
/// "épuisé". Each wait gets up to 10 % of jitter so that a CRM coming back is not hit by every
/// lead at the same second.
public struct RetrySchedule: Sendable, Equatable {
    public let delays: [TimeInterval]

    public static let standard = RetrySchedule(delays: [60, 300, 900, 3_600, 7_200, 21_600, 43_200, 86_400])

    public init(delays: [TimeInterval]) {
        self.delays = delays
    }

    /// "60,300,900": seconds separated by commas (`LEADHUB_DELIVERY_RETRY_SCHEDULE`).
    public init?(parsing text: String) {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap(TimeInterval.init)
        guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 0 }) else { return nil }
        delays = values
    }

    /// The most attempts a delivery gets: the first one plus one per wait.
    public var maxAttempts: Int { delays.count + 1 }

    /// When to try again after `attempts` failed attempts; nil when the schedule is used up.
    /// `jitter` is a number in 0..<1 (random in production, fixed in tests).
    public func nextAttempt(after attempts: Int, from now: Date, jitter: Double) -> Date? {
        guard attempts >= 1, attempts <= delays.count else { return nil }
        let base = delays[attempts - 1]
        return now.addingTimeInterval(base + base * 0.1 * min(max(jitter, 0), 1))
    }
}

/// What an attempt's answer means, from the HTTP exchange alone.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered
    case duplicate
    case refused(String)
    case authError(String)
    /// May pass later; `retryAfter` when the CRM said when (429 / 503 with `Retry-After`).
    case retryable(String, retryAfter: TimeInterval?)

    /// Classifies a CRM's answer (ZR7/MDL rules, also sensible for webhooks): 201 or 2xx success,
    /// a 200 whose body says "doublon" → duplicate, 400/422 → refused, 401/403 → credentials,
    /// 408/429/5xx → retry, any other 4xx → refused.
    public static func classify(status: Int, body: String, retryAfter: String?) -> DeliveryOutcome {
        let excerpt = DeliveryOutcome.excerpt(body)
        switch status {
        case 200..<300:
            if body.range(of: "doublon", options: [.caseInsensitive, .diacriticInsensitive]) != nil
                || body.range(of: "duplicate", options: .caseInsensitive) != nil
            {
                return .duplicate
            }
            return .delivered
        case 401, 403:
            return .authError("HTTP \(status) : \(excerpt)")
        case 408, 425, 429, 500..<600:
            return .retryable("HTTP \(status) : \(excerpt)", retryAfter: retryAfter.flatMap(parseRetryAfter))
        default:
            return .refused("HTTP \(status) : \(excerpt)")
        }
    }

    /// A short, single-line excerpt of an answer for the timeline.
    public static func excerpt(_ body: String, limit: Int = 300) -> String {
        // One line, no control characters (PostgreSQL refuses NUL in text).
        let flat = String(
            String.UnicodeScalarView(
                body.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }
            )
        ).trimmingCharacters(in: .whitespaces)
        if flat.isEmpty { return "(réponse vide)" }
        return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
    }

    /// `Retry-After` in seconds (the HTTP-date form is rare from APIs; it counts as unknown).
    static func parseRetryAfter(_ value: String) -> TimeInterval? {
        guard let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0 else { return nil }
        return min(seconds, 86_400)
    }

    /// The delivery status this outcome leads to, given the schedule and the attempts so far
    /// (including this one).
    public func status(attempts: Int, schedule: RetrySchedule) -> DeliveryStatus {
        switch self {
        case .delivered: .delivered
        case .duplicate: .duplicate
        case .refused: .refused
        case .authError: .authError
        case .retryable: attempts >= schedule.maxAttempts ? .exhausted : .retrying
        }
    }
}

/// How a CRM receives leads.
public enum DeliveryKind: String, Codable, CaseIterable, Sendable {
    case zr7
    case mdl
    case webhook

    public var label: String {
        switch self {
        case .zr7: "ZR7 Digital"
        case .mdl: "Maison du Lead"
        case .webhook: "Webhook générique"
        }
    }
}
