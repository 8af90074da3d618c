import Foundation

/// UUIDs whose first 48 bits are the creation time in milliseconds (the layout of UUID version 7):
/// rows inserted one after the other land next to each other in a primary-key index, so a commit
/// rewrites a few index pages instead of one random page per row.
public enum TimeOrderedID {
    public static func make(at date: Date = Date()) -> UUID {
        // Two 64-bit draws, not sixteen byte-sized ones (each draw is a call into the system's
        // generator: this runs for every lead, delivery and tracking event).
        var generator = SystemRandomNumberGenerator()
        let high: UInt64 = generator.next()
        let low: UInt64 = generator.next()
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        func byte(_ value: UInt64, _ index: Int) -> UInt8 { UInt8((value >> (8 * (7 - index))) & 0xFF) }
        return UUID(
            uuid: (
                UInt8((millis >> 40) & 0xFF), UInt8((millis >> 32) & 0xFF), UInt8((millis >> 24) & 0xFF),
                UInt8((millis >> 16) & 0xFF), UInt8((millis >> 8) & 0xFF), UInt8(millis & 0xFF),
                (byte(high, 0) & 0x0F) | 0x70,  // version 7
                byte(high, 1),
                (byte(low, 0) & 0x3F) | 0x80,  // RFC 4122 variant
                byte(low, 1), byte(low, 2), byte(low, 3), byte(low, 4), byte(low, 5), byte(low, 6), byte(low, 7)
            ))
    }
}
