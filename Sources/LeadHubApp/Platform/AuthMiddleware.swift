import Foundation
import Vapor

/// Back-office pages: a valid session cookie or a redirect to the login page; and on every
/// state-changing request, the session's CSRF token in the `_csrf` field or `X-CSRF-Token` header.
struct PageAuthMiddleware: AsyncMiddleware {
    /// The largest body a back-office page accepts (the asset upload's 6 MB, with room).
    static let maxPageBody = 8 * 1024 * 1024

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let token = request.cookies[AuthService.sessionCookie]?.string,
            let identity = try await AuthService.identity(sessionToken: token, on: request)
        else {
            if request.method == .GET {
                let target = request.url.string
                let next = target.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "/"
                return request.redirect(to: "/login?next=\(next)")
            }
            return request.redirect(to: "/login?expired=1")
        }
        if ![.GET, .HEAD].contains(request.method) {
            // A body larger than one network read is still streaming here (routes collect it after
            // the middlewares): collect it first, or the `_csrf` field of a large form is not seen.
            if request.headers.first(name: "X-CSRF-Token") == nil, request.body.data == nil {
                _ = try await request.body.collect(max: Self.maxPageBody).get()
            }
            let sent =
                request.headers.first(name: "X-CSRF-Token") ?? (try? request.content.get(String.self, at: "_csrf"))
                ?? multipartCSRF(request)
            guard let sent, let expected = identity.session?.csrfToken, Secrets.constantTimeEquals(sent, expected)
            else {
                throw AppError.forbidden(
                    "Jeton de sécurité (CSRF) manquant ou invalide. Rechargez la page et réessayez.")
            }
        }
        request.auth.login(identity)
        return try await next.respond(to: request)
    }
}

/// The `_csrf` field of a multipart form (uploads), which `content.get(at:)` does not read.
private func multipartCSRF(_ request: Request) -> String? {
    struct Token: Decodable { var _csrf: String? }
    guard request.headers.contentType?.type == "multipart" else { return nil }
    return (try? request.content.decode(Token.self))?._csrf
}

/// The admin API: `Authorization: Bearer <token>`, or 401 in JSON.
struct APIAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let bearer = request.headers.bearerAuthorization?.token,
            let identity = try await AuthService.identity(bearer: bearer, on: request)
        else {
            throw AppError.unauthorized("Jeton d'accès manquant, invalide ou expiré.")
        }
        request.auth.login(identity)
        return try await next.respond(to: request)
    }
}

/// Security headers on every answer: no framing, no sniffing, a strict referrer policy, and a
/// content security policy that allows only our own scripts and styles. A page made to be
/// embedded elsewhere (hosted forms, `HostedForms/`) sets its own policy and framing headers,
/// which are kept.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        let ownPolicy = response.headers.first(name: "Content-Security-Policy") != nil
        if !ownPolicy { response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY") }
        if response.headers.first(name: "Referrer-Policy") == nil {
            response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        }
        if !ownPolicy, response.headers.first(name: .contentType)?.hasPrefix("text/html") == true {
            response.headers.replaceOrAdd(
                name: "Content-Security-Policy",
                value: "default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; script-src 'self'; "
                    + "frame-ancestors 'none'; form-action 'self'; base-uri 'self'")
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        return response
    }
}
