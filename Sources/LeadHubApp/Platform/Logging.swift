import Foundation
import Logging
import Vapor

enum LoggingSetup {
    /// Text logs by default (Vapor's, with the request id in each line's metadata); JSON lines
    /// with `LEADHUB_LOG_FORMAT=json`.
    static func bootstrap(from env: inout Environment, json: Bool) throws {
        if json {
            let level = try Logger.Level.detect(from: &env)
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        } else {
            try LoggingSystem.bootstrap(from: &env)
        }
    }
}

/// One JSON object per line: time, level, label, message and metadata (request id included).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        var object: [String: String] = [
            "time": ISO8601DateFormatter().string(from: Date()),
            "level": level.rawValue,
            "label": label,
            "message": message.description,
        ]
        for (key, value) in metadata.merging(explicit ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = value.description
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        FileHandle.standardError.write(data + Data("\n".utf8))
    }
}
