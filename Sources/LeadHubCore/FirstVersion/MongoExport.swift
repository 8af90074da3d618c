import Foundation

/// Reads what `mongoexport` writes: a JSON array (`--jsonArray`) or one document per line (JSON
/// lines; pretty-printed documents one after another are read too), in MongoDB's extended JSON
/// (`{"$oid": …}`, `{"$date": …}`, `{"$numberLong": …}`…), which is turned into plain values.
public enum MongoExport {
    /// A document that could not be read, with its position (1-based) in the file.
    public struct BadDocument: Error, Equatable, Sendable {
        public let index: Int
        public let reason: String
    }

    /// Calls `body` with each document of the file from byte `offset`, in order, as plain JSON, and
    /// the offset where the next one starts; `body` returns false to stop (and resume later from
    /// that offset). A document that is not an object or does not parse comes as a `BadDocument`
    /// (the others are still read).
    public static func forEachDocument(
        in bytes: UnsafeRawBufferPointer, from offset: Int = 0,
        _ body: (Result<[String: JSONValue], BadDocument>, _ next: Int) throws -> Bool
    ) throws {
        let first = skipSpace(bytes, 0)
        guard first < bytes.count else { return }
        let inArray = bytes[first] == UInt8(ascii: "[")
        var index = max(offset, inArray ? first + 1 : first)
        var position = 0
        while true {
            index = skipSpace(bytes, index)
            if inArray, index < bytes.count, bytes[index] == UInt8(ascii: ",") {
                index = skipSpace(bytes, index + 1)
            }
            guard index < bytes.count else { break }
            if inArray, bytes[index] == UInt8(ascii: "]") { break }
            position += 1
            let end = valueEnd(bytes, index)
            let slice = Array(UnsafeRawBufferPointer(rebasing: bytes[index..<end]))
            index = end
            let result: Result<[String: JSONValue], BadDocument>
            do {
                if case .object(let fields) = normalize(try JSONParser.parse(slice)) {
                    result = .success(fields)
                } else {
                    result = .failure(BadDocument(index: position, reason: "pas un objet JSON"))
                }
            } catch {
                result = .failure(BadDocument(index: position, reason: "JSON illisible"))
            }
            if try !body(result, index) { return }
        }
    }

    /// Every document of a small file (tests, small collections).
    public static func documents(_ data: Data) throws -> [Result<[String: JSONValue], BadDocument>] {
        var out: [Result<[String: JSONValue], BadDocument>] = []
        try data.withUnsafeBytes { raw in
            try forEachDocument(in: raw) { result, _ in
                out.append(result)
                return true
            }
        }
        return out
    }

    static func skipSpace(_ bytes: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var index = start
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        return index
    }

    /// The end of the value that starts at `start`: its closing bracket for objects and arrays (depth
    /// counted outside strings), else the next line break, comma or closing bracket.
    static func valueEnd(_ bytes: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var index = start
        let first = bytes[start]
        guard first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else {
            while index < bytes.count, ![0x0A, UInt8(ascii: ","), UInt8(ascii: "]")].contains(bytes[index]) {
                index += 1
            }
            return index
        }
        var depth = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") { inString = false }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default: break
                }
            }
            index += 1
        }
        return bytes.count
    }

    /// Extended JSON → plain JSON: `$oid`, `$uuid`, `$symbol` → text; `$date` → ISO 8601 text (UTC);
    /// `$numberInt`, `$numberLong`, `$numberDouble`, `$numberDecimal` → numbers.
    public static func normalize(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(normalize))
        case .object(let fields):
            if fields.count == 1, let (key, inner) = fields.first, key.hasPrefix("$") {
                switch key {
                case "$oid", "$uuid", "$symbol": if let text = inner.text { return .string(text) }
                case "$numberInt", "$numberLong", "$numberDouble", "$numberDecimal":
                    if let text = inner.text, let number = Double(text) { return .number(number) }
                case "$date":
                    switch normalize(inner) {
                    case .string(let text): return .string(text)
                    case .number(let millis):
                        return .string(ISODate.text(Date(timeIntervalSince1970: millis / 1_000)))
                    default: break
                    }
                default: break
                }
            }
            return .object(fields.mapValues(normalize))
        default: return value
        }
    }
}

/// The dates of the first version's documents: ISO 8601 as Python's `isoformat()` wrote them
/// (microseconds, `+00:00`, or no zone at all, meaning UTC), `Z` forms, plain days, or Unix seconds.
public enum ISODate {
    public static func parse(_ value: JSONValue?) -> Date? {
        switch value {
        case .string(let text): return parse(text)
        case .number(let number):
            // Unix seconds (register_date) or milliseconds.
            return Date(timeIntervalSince1970: number > 100_000_000_000 ? number / 1_000 : number)
        default: return nil
        }
    }

    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.trimmedText.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[from..<from + count] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 10, let year = number(0, 4), bytes[4] == UInt8(ascii: "-"), let month = number(5, 2),
            bytes[7] == UInt8(ascii: "-"), let day = number(8, 2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var fraction = 0.0
        var offset = 0
        var index = 10
        if index < bytes.count, bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: " ") {
            guard let h = number(11, 2), bytes.count > 13, bytes[13] == UInt8(ascii: ":"), let m = number(14, 2) else {
                return nil
            }
            hour = h
            minute = m
            index = 16
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                guard let s = number(17, 2) else { return nil }
                second = s
                index = 19
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                var scale = 0.1
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                    fraction += Double(bytes[index] - 0x30) * scale
                    scale /= 10
                    index += 1
                }
            }
            if index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "Z"), UInt8(ascii: "z"): index += 1
                case UInt8(ascii: "+"), UInt8(ascii: "-"):
                    let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                    guard let oh = number(index + 1, 2) else { return nil }
                    var om = 0
                    var next = index + 3
                    if next < bytes.count, bytes[next] == UInt8(ascii: ":") { next += 1 }
                    if let minutes = number(next, 2) {
                        om = minutes
                        next += 2
                    }
                    offset = sign * (oh * 3_600 + om * 60)
                    index = next
                default: return nil
                }
            }
            guard index == bytes.count, hour < 24, minute < 60, second < 61 else { return nil }
        } else if index != bytes.count {
            return nil
        }
        let monthDays = [
            31, (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
        ]
        guard day <= monthDays[month - 1] else { return nil }
        let seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(seconds - offset) + fraction)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm): no Calendar,
    /// which costs more than the rest of a lead's import.
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// "2026-01-15T10:00:00.000Z".
    public static func text(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
