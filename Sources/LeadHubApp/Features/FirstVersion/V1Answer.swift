import Foundation
import LeadHubCore
import Vapor

/// Answers keep LeadHub's fields and add what the first version's page code reads: `success`,
/// and on errors `detail` and `message` (a French sentence).
enum V1Answer {
    struct ErrorBody: Content {
        var error: String
        var errors: [String: [String]]?
        var success: Bool
        var detail: String
        var message: String
    }

    static func error(_ error: any Error, for req: Request) async -> Response {
        let response = await LeadHubErrorMiddleware.answer(error, for: req)
        guard let buffer = response.body.buffer,
            let body = try? JSONDecoder().decode(LeadHubErrorBody.self, from: Data(buffer.readableBytesView))
        else { return response }
        var detail = body.error
        if let fields = body.errors, !fields.isEmpty {
            detail +=
                " "
                + fields.sorted { $0.key < $1.key }.map { "\($0.key) : \($0.value.joined(separator: " "))" }
                .joined(separator: " ; ")
        }
        let extended = ErrorBody(
            error: body.error, errors: body.errors, success: false, detail: detail, message: detail)
        try? response.content.encode(extended, as: .json)
        return response
    }

    private struct LeadHubErrorBody: Decodable {
        var error: String
        var errors: [String: [String]]?
    }
}
