import Fluent
import LeadHubCore
import Vapor

/// The login page, the login post, logout; and `POST /api/auth/token` for scripts.
struct AuthController {
    struct LoginContext: Encodable {
        let csrf: String
        let email: String
        let next: String
        let error: String?
        let notice: String?
    }

    struct LoginForm: Content {
        var email: String?
        var password: String?
        var next: String?
        var _csrf: String?
    }

    @Sendable func loginPage(req: Request) async throws -> Response {
        let notice: String? =
            (req.query["expired"] as String?) != nil ? "Votre session a expiré : reconnectez-vous." : nil
        return try await renderLogin(req, email: "", next: req.query["next"] ?? "/", error: nil, notice: notice)
    }

    @Sendable func login(req: Request) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let next = Self.safeRedirect(form.next)
        guard let sent = form._csrf, let expected = req.cookies[AuthService.loginCSRFCookie]?.string,
            Secrets.constantTimeEquals(sent, expected)
        else {
            return try await renderLogin(
                req, email: form.email ?? "", next: next,
                error: "Le formulaire a expiré. Veuillez réessayer.", status: .forbidden)
        }
        do {
            let user = try await AuthService.verifyCredentials(
                email: form.email ?? "", password: form.password ?? "", on: req)
            let token = try await AuthService.openSession(for: user, on: req)
            let response = req.redirect(to: next, redirectType: .normal)
            response.cookies[AuthService.sessionCookie] = AuthService.sessionCookie(token, for: req)
            response.cookies[AuthService.loginCSRFCookie] = HTTPCookies.Value(
                string: "", expires: Date(timeIntervalSince1970: 0), path: "/login")
            return response
        } catch AppError.unauthorized(let message) {
            return try await renderLogin(
                req, email: form.email ?? "", next: next, error: message, status: .unauthorized)
        } catch AppError.tooManyRequests(let retryAfter, let message) {
            let response = try await renderLogin(
                req, email: form.email ?? "", next: next, error: message, status: .tooManyRequests)
            response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter))
            return response
        }
    }

    @Sendable func logout(req: Request) async throws -> Response {
        if let identity = req.identity, let session = identity.session {
            try await req.db.transaction { tx in
                try await session.delete(on: tx)
                try await ActivityService.record(
                    .logout, objectType: "user", objectId: identity.user.id,
                    summary: "Déconnexion de \(identity.user.email)",
                    scope: identity.scope, at: req.now, on: tx)
            }
        }
        let response = req.redirect(to: "/login", redirectType: .normal)
        response.cookies[AuthService.sessionCookie] = HTTPCookies.Value(
            string: "", expires: Date(timeIntervalSince1970: 0), path: "/", isHTTPOnly: true, sameSite: .lax)
        return response
    }

    struct TokenRequest: Content {
        var email: String?
        var password: String?
        var name: String?
    }

    struct TokenResponse: Content {
        let token: String
        let expiresAt: Date?

        enum CodingKeys: String, CodingKey {
            case token
            case expiresAt = "expires_at"
        }
    }

    @Sendable func issueToken(req: Request) async throws -> Response {
        let body = try req.content.decode(TokenRequest.self)
        var errors = FieldErrors()
        if (body.email ?? "").isEmpty { errors.add("email", "Ce champ est obligatoire.") }
        if (body.password ?? "").isEmpty { errors.add("password", "Ce champ est obligatoire.") }
        try errors.throwIfAny()
        let user = try await AuthService.verifyCredentials(email: body.email!, password: body.password!, on: req)
        let name = body.name?.trimmingCharacters(in: .whitespaces).prefix(100).description
        let lifetime = req.application.config.apiTokenLifetime
        let (now, ip) = (req.now, req.clientIP)
        let (raw, token) = try await req.db.transaction { tx in
            let (raw, token) = try await AuthService.issueToken(
                for: user, name: (name?.isEmpty ?? true) ? "Jeton API" : name!, lifetime: lifetime, now: now, on: tx)
            try await ActivityService.record(
                .tokenCreated, organizationId: user.organizationId, userId: user.id, userEmail: user.email,
                objectType: "api_token", objectId: token.id,
                summary: "Jeton API « \(token.name) » créé (\(token.prefix)…)", ip: ip, at: now, on: tx)
            return (raw, token)
        }
        return try await TokenResponse(token: raw, expiresAt: token.expiresAt).encodeResponse(
            status: .created, for: req)
    }

    private func renderLogin(
        _ req: Request, email: String, next: String, error: String?, notice: String? = nil, status: HTTPStatus = .ok
    ) async throws -> Response {
        let csrf = Secrets.token(prefix: "", bytes: 24)
        let context = LoginContext(
            csrf: csrf, email: email, next: Self.safeRedirect(next), error: error, notice: notice)
        let view = try await req.view.render("auth/login", context).get()
        let response = try await view.encodeResponse(status: status, for: req)
        response.cookies[AuthService.loginCSRFCookie] = HTTPCookies.Value(
            string: csrf, maxAge: 3600, path: "/login", isSecure: req.isHTTPS,
            isHTTPOnly: true, sameSite: .strict)
        return response
    }

    /// Only local paths: never redirect a user to another site after login.
    static func safeRedirect(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"), !next.hasPrefix("/login")
        else { return "/" }
        return next
    }

    struct MeDTO: Content {
        let user: UserDTO
        let organizationId: UUID
        let organizationName: String
        /// The first version's names for the same facts.
        let id: UUID
        let email: String
        let nom: String
        let role: String
        let allowedAccounts: [UUID]

        enum CodingKeys: String, CodingKey {
            case user, organizationId = "organization_id", organizationName = "organization_name", id, email, nom, role
            case allowedAccounts = "allowed_accounts"
        }
    }

    /// `GET /api/auth/me`: who the token belongs to, and in which organization.
    @Sendable func me(req: Request) async throws -> MeDTO {
        guard let identity = req.identity else { throw AppError.unauthorized() }
        let organization = try await Organization.find(identity.scope.organizationId, on: req.db)
        let user = identity.user
        return MeDTO(
            user: UserDTO(user), organizationId: identity.scope.organizationId,
            organizationName: organization?.name ?? "",
            id: try user.requireID(), email: user.email, nom: user.name, role: user.roleRaw,
            allowedAccounts: user.accountIds)
    }
}
