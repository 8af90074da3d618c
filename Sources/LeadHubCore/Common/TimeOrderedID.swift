import Foundation

/// UUIDs whose first 48 bits are the creation time in milliseconds (the layout of UUID version 7):
/// rows inserted one after the other land next to each other in a primary-key index, so a commit
/// rewrites a few index pages instead of one random page per row.
public enum TimeOrderedID {
    public static func make(at date: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for index in 0..<6 { bytes[index] = UInt8((millis >> (8 * (5 - index))) & 0xFF) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70  // version 7
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
