import Foundation
import Synchronization

/// Token buckets in memory, one per key (an API key, an address). Bounded: when it holds too many
/// keys it forgets the full buckets, which are the same as new ones.
final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Date
    }

    let capacity: Double
    let perSecond: Double
    private let buckets = Mutex<[String: Bucket]>([:])
    private let maxKeys = 100_000

    init(capacity: Double, perSecond: Double) {
        self.capacity = capacity
        self.perSecond = perSecond
    }

    /// Takes one token for `key`. Returns nil when allowed, or the seconds to wait.
    func take(_ key: String, now: Date) -> Int? {
        buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = max(0, now.timeIntervalSince(bucket.updated))
            bucket.tokens = min(capacity, bucket.tokens + elapsed * perSecond)
            bucket.updated = now
            defer {
                if buckets.count >= maxKeys {
                    buckets = buckets.filter { $0.value.tokens < capacity }
                }
                buckets[key] = bucket
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
        }
    }
}
