import Foundation

extension String {
    /// Trimmed of whitespace and newlines. Foundation's `trimmingCharacters(in:)` bridges through
    /// NSString and copies even when there is nothing to trim; on the hot paths (every field of
    /// every lead and event) the usual value starts and ends with a visible ASCII character and is
    /// returned as is.
    public var trimmedText: String {
        let utf8 = self.utf8
        guard let first = utf8.first, let last = utf8.last else { return self }
        if (0x21...0x7E).contains(first) && (0x21...0x7E).contains(last) { return self }
        return trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `replacingOccurrences(of:with:)`, but the text itself, without Foundation, when `needle`
    /// is not in it (the usual case on the hot paths).
    public func replacingIfPresent(_ needle: String, with replacement: String) -> String {
        containsBytes(needle) ? replacingOccurrences(of: needle, with: replacement) : self
    }

    /// Whether the text has more than `max` characters, without counting characters when its
    /// bytes already fit.
    public func isLonger(than max: Int) -> Bool {
        utf8.count > max && count > max
    }
}

extension StringProtocol {
    /// Whether the text holds `needle`, byte for byte, without bridging to NSString (Foundation's
    /// `contains` / `range(of:)` cost microseconds per call on Linux; these run for every lead).
    public func containsBytes(_ needle: String) -> Bool {
        let wanted = Array(needle.utf8)
        guard let first = wanted.first else { return true }
        let bytes = utf8
        var from = bytes.startIndex
        while let found = bytes[from...].firstIndex(of: first) {
            if bytes[found...].starts(with: wanted) { return true }
            from = bytes.index(after: found)
        }
        return false
    }
}

extension UUID {
    /// The same text as `uuidString` (upper-case, with hyphens) without going through
    /// `uuid_unparse` and `sprintf`, for code that writes many ids.
    public var text: String {
        withUnsafeBytes(of: uuid) { raw in
            String(unsafeUninitializedCapacity: 36) { buffer in
                var at = 0
                for (index, byte) in raw.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        buffer[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    let high = byte >> 4
                    let low = byte & 0x0F
                    buffer[at] = high < 10 ? 0x30 + high : 0x37 + high
                    buffer[at + 1] = low < 10 ? 0x30 + low : 0x37 + low
                    at += 2
                }
                return at
            }
        }
    }

    /// The first `count` (≤ 32) lower-case hex digits of the id, no hyphens: short random ids
    /// (visitor and session ids) without `uuidString` and Foundation's string replacing.
    public func lowercaseHex(_ count: Int = 32) -> String {
        let count = min(max(count, 0), 32)
        return withUnsafeBytes(of: uuid) { raw in
            String(unsafeUninitializedCapacity: count) { buffer in
                for at in 0..<count {
                    let byte = raw[at / 2]
                    let nibble = at % 2 == 0 ? byte >> 4 : byte & 0x0F
                    buffer[at] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
                }
                return count
            }
        }
    }
}
