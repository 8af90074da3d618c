import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Vapor

/// A partner platform on loopback: a real HTTP server that answers `POST /lead/api/create_lead/`
/// as the test scripts it, and remembers what it received.
final class FakeCrm: Sendable {
    struct Reply: Sendable {
        var status: HTTPResponseStatus = .created
        var body = "{\"id\": 1}"
        var headers: [(String, String)] = []
        /// Waits this long before answering (to go past LeadHub's timeout).
        var delay: Duration = .zero
    }

    struct Received: Sendable {
        let deliveryId: String?
        let authorization: String?
        let signature: String?
        let body: String
        let headers: [(String, String)]
    }

    private let app: Application
    let port: Int
    private let log: Log

    final class Log: Sendable {
        let items = Mutex<[Received]>([])
    }

    var url: String { "http://127.0.0.1:\(port)/lead/api/create_lead/" }
    var base: String { "http://127.0.0.1:\(port)" }
    var received: [Received] { log.items.withLock { $0 } }

    /// `reply` gets the number of the request (1, 2…) and decides the answer.
    static func start(
        path: [PathComponent] = ["lead", "api", "create_lead"],
        _ reply: @escaping @Sendable (Int) -> Reply = { _ in Reply() }
    ) async throws -> FakeCrm {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .error
        let log = Log()
        app.on(.POST, path, body: .collect(maxSize: "1mb")) { req async throws -> Response in
            let body = req.body.string ?? ""
            let count = log.items.withLock { log in
                log.append(
                    Received(
                        deliveryId: req.headers.first(name: "X-LeadHub-Delivery-Id"),
                        authorization: req.headers.first(name: .authorization),
                        signature: req.headers.first(name: "X-LeadHub-Signature"), body: body,
                        headers: req.headers.map { ($0.name, $0.value) }))
                return log.count
            }
            let answer = reply(count)
            if answer.delay > .zero { try? await Task.sleep(for: answer.delay) }
            var headers = HTTPHeaders()
            for (name, value) in answer.headers { headers.add(name: name, value: value) }
            return Response(status: answer.status, headers: headers, body: .init(string: answer.body))
        }
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        guard let port = app.http.server.shared.localAddress?.port else {
            try await app.asyncShutdown()
            throw Abort(.internalServerError, reason: "fake CRM did not bind")
        }
        return FakeCrm(app: app, port: port, log: log)
    }

    private init(app: Application, port: Int, log: Log) {
        self.app = app
        self.port = port
        self.log = log
    }

    func shutdown() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }

    /// A port where nothing listens (connection refused).
    static func closedPort() throws -> Int {
        let socket = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).wait()
        let port = socket.localAddress!.port!
        try socket.close().wait()
        return port
    }
}
