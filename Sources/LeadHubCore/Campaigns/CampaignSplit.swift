import Foundation

/// How a campaign splits its traffic: a visitor falls in the cumulative-weight range that holds
/// a uniform 64-bit number drawn from SHA-256(campaign seed : visitor id). The same visitor and
/// weights always give the same variant, on any server and after any restart.
public enum CampaignSplit {
    /// The text hashed for a visitor (`seed:visitorId`).
    public static func hashInput(seed: String, visitorId: String) -> String { "\(seed):\(visitorId)" }

    /// The first 8 bytes of a digest, big-endian, as a number uniform over UInt64.
    public static func position<Bytes: Sequence>(digest: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        return value
    }

    /// The variant whose cumulative-weight range holds `position` scaled to the weights' total.
    /// Zero weights never receive traffic; all-zero weights send everyone to the first variant.
    public static func variantIndex(position: UInt64, weights: [Int]) -> Int {
        let total = UInt64(weights.reduce(0) { $0 + max(0, $1) })
        guard total > 0 else { return 0 }
        let slot = position.multipliedFullWidth(by: total).high  // uniform in 0..<total
        var upper: UInt64 = 0
        for (index, weight) in weights.enumerated() where weight > 0 {
            upper += UInt64(weight)
            if slot < upper { return index }
        }
        return weights.lastIndex { $0 > 0 } ?? 0
    }
}
