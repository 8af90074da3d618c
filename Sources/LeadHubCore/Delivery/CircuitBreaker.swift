import Foundation

/// A CRM's circuit breaker: after `threshold` failures in a row its deliveries pause for
/// `cooldown`, then one probe decides (a success closes it, a failure opens it again).
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: String, Sendable { case closed, open, halfOpen = "half_open" }

    public var consecutiveFailures = 0
    public var openUntil: Date? = nil

    public init(consecutiveFailures: Int = 0, openUntil: Date? = nil) {
        self.consecutiveFailures = consecutiveFailures
        self.openUntil = openUntil
    }

    public func state(at now: Date) -> State {
        guard let openUntil else { return .closed }
        return now < openUntil ? .open : .halfOpen
    }

    public mutating func record(success: Bool, now: Date, threshold: Int, cooldown: TimeInterval) {
        if success {
            consecutiveFailures = 0
            openUntil = nil
        } else {
            consecutiveFailures += 1
            if consecutiveFailures >= threshold || openUntil != nil { openUntil = now.addingTimeInterval(cooldown) }
        }
    }
}
