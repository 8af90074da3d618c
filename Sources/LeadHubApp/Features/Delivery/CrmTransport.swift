import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Vapor

/// One HTTP request to a CRM, ready to send.
struct OutgoingRequest: Sendable {
    let url: String
    let headers: [(String, String)]
    let body: String
    let timeout: TimeInterval
}

/// What came back: an answer, or nothing in time, or no connection.
enum TransportResult: Sendable, Equatable {
    case answer(status: Int, body: String, retryAfter: String?)
    case timeout
    case connectionFailed(String)
}

/// Sends deliveries. The live one speaks HTTP; tests use it too, against fake CRMs on loopback.
protocol CrmTransport: Sendable {
    func send(_ request: OutgoingRequest) async -> TransportResult
}

struct HTTPCrmTransport: CrmTransport {
    let client: HTTPClient
    /// Answers are cut at this size: only an excerpt is kept.
    static let maxBody = 64 * 1024

    func send(_ request: OutgoingRequest) async -> TransportResult {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .POST
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        outgoing.body = .bytes(ByteBuffer(string: request.body))
        let deadline = NIODeadline.now() + .milliseconds(Int64(request.timeout * 1000))
        do {
            let response = try await client.execute(outgoing, deadline: deadline)
            var body = ""
            do {
                let buffer = try await response.body.collect(upTo: Self.maxBody)
                body = String(buffer: buffer)
            } catch is NIOTooManyBytesError {
                body = "(réponse de plus de 64 Ko)"
            }
            return .answer(
                status: Int(response.status.code), body: body, retryAfter: response.headers.first(name: "Retry-After"))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return .timeout
        } catch {
            return .connectionFailed(String(describing: error).prefix(300).description)
        }
    }
}

extension Application {
    private struct TransportKey: StorageKey { typealias Value = any CrmTransport }

    /// How deliveries leave; HTTP unless a test sets another.
    var crmTransport: any CrmTransport {
        get { storage[TransportKey.self] ?? HTTPCrmTransport(client: http.client.shared) }
        set { storage[TransportKey.self] = newValue }
    }
}
