import Foundation
import LeadHubCore
import Vapor

/// The errors features throw. Each carries an HTTP status and a French message for people.
enum AppError: Error, AbortError {
    /// Not found, or not visible to this user: the two are indistinguishable on purpose.
    case notFound
    /// The user is known but the role does not allow the action.
    case forbidden(String = "Vous n'avez pas les droits nécessaires pour cette action.")
    case unauthorized(String = "Authentification requise.")
    /// A uniqueness or state conflict, with the field it concerns when there is one.
    case conflict(field: String?, message: String)
    case tooManyRequests(retryAfter: Int, message: String)
    case badRequest(String)

    var status: HTTPResponseStatus {
        switch self {
        case .notFound: .notFound
        case .forbidden: .forbidden
        case .unauthorized: .unauthorized
        case .conflict: .conflict
        case .tooManyRequests: .tooManyRequests
        case .badRequest: .badRequest
        }
    }

    var reason: String {
        switch self {
        case .notFound: "Élément introuvable."
        case .forbidden(let message), .unauthorized(let message), .badRequest(let message): message
        case .conflict(_, let message): message
        case .tooManyRequests(_, let message): message
        }
    }

    var headers: HTTPHeaders {
        switch self {
        case .tooManyRequests(let retryAfter, _): ["Retry-After": String(retryAfter)]
        default: [:]
        }
    }

    var fieldErrors: [String: [String]]? {
        if case .conflict(let field?, let message) = self { return [field: [message]] }
        return nil
    }
}

/// The JSON error body of the whole API: `{"error": "…", "errors": {"field": ["…"]}}`.
struct ErrorBody: Content {
    var error: String
    var errors: [String: [String]]?
}
