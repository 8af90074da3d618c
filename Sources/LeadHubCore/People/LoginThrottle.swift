import Foundation

/// The login throttling rule: the first failures are free, then each further failure makes the
/// next attempt wait longer (2 s, 4 s, 8 s … up to 15 min). Failures older than the memory
/// window are forgotten, so an honest typo never locks anyone out for long.
public struct LoginThrottle: Sendable {
    public var freeFailures: Int
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    public var memory: TimeInterval

    public init(
        freeFailures: Int = 5, baseDelay: TimeInterval = 2, maxDelay: TimeInterval = 900,
        memory: TimeInterval = 3_600
    ) {
        self.freeFailures = freeFailures
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.memory = memory
    }

    /// The delay imposed after `failures` consecutive failures.
    public func delay(afterFailures failures: Int) -> TimeInterval {
        guard failures >= freeFailures else { return 0 }
        let exponent = min(failures - freeFailures, 20)
        return min(maxDelay, baseDelay * pow(2, Double(exponent)))
    }

    /// The failure count to keep after a new failure at `now`, given the previous state.
    public func failuresAfterNewFailure(previous: Int, lastFailureAt: Date?, now: Date) -> Int {
        guard let lastFailureAt, now.timeIntervalSince(lastFailureAt) < memory else { return 1 }
        return previous + 1
    }

    /// When the next attempt is allowed, or nil when it is allowed now.
    public func blockedUntil(failures: Int, lastFailureAt: Date?, now: Date) -> Date? {
        guard let lastFailureAt, now.timeIntervalSince(lastFailureAt) < memory else { return nil }
        let until = lastFailureAt.addingTimeInterval(delay(afterFailures: failures))
        return until > now ? until : nil
    }
}
