import FluentKit
import Foundation
import LeadHubCore
import Leaf
import Vapor

/// The one place errors become answers: JSON under `/api`, a French page elsewhere.
/// 5xx are logged with the request id; their details never reach the client.
struct LeadHubErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return await answer(error, for: request)
        }
    }

    static func answer(_ error: any Error, for request: Request) async -> Response {
        await LeadHubErrorMiddleware().answer(error, for: request)
    }

    private func answer(_ error: any Error, for request: Request) async -> Response {
        let (status, message, fields, headers) = describe(error, for: request)
        if status.code >= 500 {
            request.logger.error("\(status.code) \(request.method) \(request.url.path): \(String(reflecting: error))")
        }
        if request.expectsJSON {
            let response = Response(status: status, headers: headers)
            try? response.content.encode(ErrorBody(error: message, errors: fields), as: .json)
            return response
        }
        if status == .unauthorized {
            return request.redirect(
                to: "/login?next="
                    + (request.url.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
        }
        let context = ErrorPageContext(status: Int(status.code), title: Self.title(for: status), message: message)
        do {
            let view = try await request.view.render("errors/error", context).get()
            let response = try await view.encodeResponse(status: status, for: request)
            response.headers.add(contentsOf: headers)
            return response
        } catch {
            let response = Response(status: status, headers: headers)
            response.headers.contentType = .plainText
            response.body = .init(string: "\(status.code) — \(message)")
            return response
        }
    }

    private func describe(_ error: any Error, for request: Request)
        -> (HTTPResponseStatus, String, [String: [String]]?, HTTPHeaders)
    {
        switch error {
        case let fields as FieldErrors:
            return (.unprocessableEntity, "Certains champs sont invalides.", fields.messages, [:])
        case let app as AppError:
            return (app.status, app.reason, app.fieldErrors, app.headers)
        case let database as any DatabaseError where database.isConstraintFailure:
            // A safety net: services check references first, but a race must not become a 500.
            return (.conflict, "Cet élément est encore utilisé ailleurs ou existe déjà.", nil, [:])
        case let decoding as DecodingError:
            return (.badRequest, Self.describe(decoding), nil, [:])
        case let abort as any AbortError:
            // Our own Aborts carry a French reason; Vapor's carry the English status phrase.
            let ours = !abort.reason.isEmpty && abort.reason != abort.status.reasonPhrase
            let message: String
            switch abort.status {
            case _ where abort.status.code >= 500 && abort.status != .serviceUnavailable:
                message = "Erreur interne du serveur."
            case _ where ours: message = abort.reason
            case .notFound: message = "Page introuvable."
            case .payloadTooLarge: message = "Requête trop volumineuse."
            case .unsupportedMediaType: message = "Type de contenu non pris en charge."
            case .methodNotAllowed: message = "Méthode non autorisée."
            case .badRequest: message = "Requête invalide."
            default: message = abort.reason
            }
            return (abort.status, message, nil, abort.headers)
        default:
            return (.internalServerError, "Erreur interne du serveur.", nil, [:])
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted: return "Corps de requête illisible (JSON mal formé)."
        case .keyNotFound(let key, _): return "Champ manquant : \(key.stringValue)."
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "Type de valeur invalide pour le champ \(path)."
        @unknown default: return "Requête invalide."
        }
    }

    static func title(for status: HTTPResponseStatus) -> String {
        switch status.code {
        case 400: "Requête invalide"
        case 403: "Accès refusé"
        case 404: "Page introuvable"
        case 409: "Conflit"
        case 413: "Requête trop volumineuse"
        case 422: "Données invalides"
        case 429: "Trop de requêtes"
        case 500...: "Erreur du serveur"
        default: "Erreur"
        }
    }
}

struct ErrorPageContext: Encodable {
    let status: Int
    let title: String
    let message: String
}

extension Request {
    /// API routes and callers that ask for JSON get JSON errors.
    var expectsJSON: Bool {
        if url.path.hasPrefix("/api/") || url.path == "/api" { return true }
        if ["/health", "/ready"].contains(url.path) { return true }
        return false
    }
}
