import Foundation
import NIOConcurrencyHelpers
import Vapor

/// `leadhub fake-crm --port P [--record FILE] [--delay-ms N] [--fail-every N]`: a stand-in for a
/// partner platform, for benchmarks and reliability scripts (never for production). It answers
/// `POST /lead/api/create_lead/` with 201 (or 503 every N-th request) after an optional delay,
/// and appends one line per request to the log: `<X-LeadHub-Delivery-Id> <lead_id or phone>`.
/// Runs without a database.
enum FakeCrmServer {
    static func run(arguments: [String], env: Environment) async throws {
        func option(_ name: String) -> String? {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
            return arguments[index + 1]
        }
        let port = option("--port").flatMap(Int.init) ?? 9090
        let delay = option("--delay-ms").flatMap(Int.init) ?? 0
        let failEvery = option("--fail-every").flatMap(Int.init) ?? 0
        let log = try option("--record").map { path -> FileHandle in
            FileManager.default.createFile(atPath: path, contents: nil)
            return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        }
        var serveEnv = env
        serveEnv.arguments = ["leadhub", "serve", "--hostname", "127.0.0.1", "--port", String(port)]
        let app = try await Application.make(serveEnv)
        app.logger.logLevel = .warning
        app.middleware = .init()
        let lock = NIOLock()
        let counter = NIOLockedValueBox(0)
        app.on(.POST, "lead", "api", "create_lead", body: .collect(maxSize: "1mb")) { req async -> Response in
            let number = counter.withLockedValue { value -> Int in
                value += 1
                return value
            }
            if delay > 0 { try? await Task.sleep(for: .milliseconds(delay)) }
            if failEvery > 0, number % failEvery == 0 {
                return Response(status: .serviceUnavailable, body: .init(string: "{\"error\": \"busy\"}"))
            }
            if let log {
                let id = req.headers.first(name: "X-LeadHub-Delivery-Id") ?? "-"
                let body = req.body.string ?? ""
                let lead = Self.field("lead_id", in: body) ?? Self.field("phone", in: body) ?? "-"
                let line = Data("\(id) \(lead)\n".utf8)
                lock.withLock { log.write(line) }
            }
            return Response(status: .created, body: .init(string: "{\"id\": \(number)}"))
        }
        do {
            try await app.execute()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// The string value of a top-level JSON field, without a full parse.
    static func field(_ name: String, in body: String) -> String? {
        guard let range = body.range(of: "\"\(name)\":\"") else { return nil }
        let rest = body[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
