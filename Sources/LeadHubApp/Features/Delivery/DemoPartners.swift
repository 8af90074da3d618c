import Foundation
import LeadHubCore
import Synchronization
import Vapor

/// Simulated ZR7 and Maison du Lead platforms, served by LeadHub itself in demo mode only
/// (`serve --demo`, or `LEADHUB_DEMO_PARTNERS=1`): `POST /demo-partners/{zr7|mdl}/lead/api/create_lead/`
/// answers like the real ones — 201 most of the time after 50–400 ms, sometimes a 200 "doublon",
/// sometimes a 503 — so the whole pipeline (routing, delivery, retries, queue) can be watched on
/// a fresh machine without any partner account. The demo CRMs point at these addresses; the
/// transport sends them to this server's own port.
enum DemoPartners {
    static let pathPrefix = "/demo-partners/"

    static func url(for slug: String) -> String {
        "http://127.0.0.1:8080\(pathPrefix)\(slug)/lead/api/create_lead/"
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    static func mount(on app: Application) {
        let counter = Counter()
        app.on(.POST, "demo-partners", ":partner", "lead", "api", "create_lead", body: .collect(maxSize: "64kb")) {
            req async throws -> Response in
            let partner = req.parameters.get("partner") ?? "?"
            guard ["zr7", "mdl"].contains(partner) else { throw Abort(.notFound) }
            guard let token = req.headers.first(name: .authorization), !token.isEmpty else {
                return Response(status: .forbidden, body: .init(string: "{\"error\": \"Token manquant\"}"))
            }
            try? await Task.sleep(for: .milliseconds(Int.random(in: 50...400)))
            let number = counter.value.wrappingAdd(1, ordering: .relaxed).newValue
            let roll = Int.random(in: 0..<100)
            if roll < 5 {
                return Response(status: .serviceUnavailable, body: .init(string: "{\"error\": \"Maintenance\"}"))
            }
            if roll < 10 {
                return Response(
                    status: .ok, body: .init(string: "{\"status\": \"doublon\", \"message\": \"Lead déjà présent\"}"))
            }
            let body = req.body.string ?? ""
            guard body.contains("\"phone\"") else {
                return Response(status: .badRequest, body: .init(string: "{\"error\": \"phone obligatoire\"}"))
            }
            return Response(status: .created, body: .init(string: "{\"id\": \(number), \"partner\": \"\(partner)\"}"))
        }
        app.crmTransport = LoopbackDemoTransport(inner: app.crmTransport, app: app)
    }
}

/// Sends deliveries addressed to the simulated partners to this server's own address.
struct LoopbackDemoTransport: CrmTransport {
    let inner: any CrmTransport
    let app: Application

    func send(_ request: OutgoingRequest) async -> TransportResult {
        guard let range = request.url.range(of: DemoPartners.pathPrefix),
            let port = app.http.server.shared.localAddress?.port
        else { return await inner.send(request) }
        let url = "http://127.0.0.1:\(port)" + request.url[range.lowerBound...]
        return await inner.send(
            OutgoingRequest(url: url, headers: request.headers, body: request.body, timeout: request.timeout))
    }
}
