import Fluent
import Foundation
import LeadHubCore
import Vapor

/// Logins, sessions and bearer tokens.
enum AuthService {
    static let sessionCookie = "leadhub_session"
    static let loginCSRFCookie = "leadhub_login_csrf"
    static let throttle = LoginThrottle()

    // MARK: Password check with throttling

    /// Checks e-mail and password. Throttles per account and per IP; records failures and
    /// successes in the activity log; answers the same generic message for every failure.
    static func verifyCredentials(email rawEmail: String, password: String, on req: Request) async throws -> User {
        let email = rawEmail.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let now = req.now
        let keys = ["email:" + email, "ip:" + (req.clientIP ?? "inconnue")]
        let failures = try await LoginFailure.query(on: req.db).filter(\.$key ~~ keys).all()
        let blockedUntil = failures.compactMap {
            throttle.blockedUntil(failures: $0.failures, lastFailureAt: $0.lastFailureAt, now: now)
        }.max()
        if let blockedUntil {
            let seconds = max(1, Int(blockedUntil.timeIntervalSince(now).rounded(.up)))
            throw AppError.tooManyRequests(
                retryAfter: seconds,
                message: "Trop de tentatives de connexion. Réessayez dans \(seconds) secondes.")
        }

        let user = try await User.query(on: req.db).filter(\.$email == email).first()
        let digest = user?.passwordHash ?? req.application.dummyPasswordHash
        let matches = try await req.password.async.verify(password, created: digest).get()
        guard let user, matches, user.active else {
            try await recordFailure(keys: keys, existing: failures, now: now, on: req.db)
            if let user {
                try await ActivityService.record(
                    .loginFailed, organizationId: user.organizationId, userId: user.id, userEmail: user.email,
                    objectType: "user", objectId: user.id, summary: "Échec de connexion pour \(user.email)",
                    ip: req.clientIP, at: now, on: req.db)
            }
            req.logger.info("login failed", metadata: ["ip": .string(req.clientIP ?? "-")])
            throw AppError.unauthorized("Identifiants invalides.")
        }
        try await LoginFailure.query(on: req.db).filter(\.$key == keys[0]).delete()
        user.lastLoginAt = now
        try await user.save(on: req.db)
        return user
    }

    private static func recordFailure(keys: [String], existing: [LoginFailure], now: Date, on db: any Database)
        async throws
    {
        for key in keys {
            if let row = existing.first(where: { $0.key == key }) {
                row.failures = throttle.failuresAfterNewFailure(
                    previous: row.failures, lastFailureAt: row.lastFailureAt, now: now)
                row.lastFailureAt = now
                try await row.save(on: db)
            } else {
                let row = LoginFailure()
                row.key = key
                row.failures = 1
                row.lastFailureAt = now
                do {
                    try await row.create(on: db)
                } catch {
                    // A concurrent failure created the row first: count this one on it.
                    if let other = try await LoginFailure.query(on: db).filter(\.$key == key).first() {
                        other.failures += 1
                        other.lastFailureAt = now
                        try await other.save(on: db)
                    }
                }
            }
        }
    }

    // MARK: Sessions

    /// Opens a session and returns the raw token for the cookie.
    static func openSession(for user: User, on req: Request) async throws -> String {
        let token = Secrets.token(prefix: "", bytes: 32)
        let now = req.now
        let config = req.application.config
        let session = UserSession()
        session.tokenHash = Secrets.sha256Hex(token)
        session.userId = try user.requireID()
        session.organizationId = user.organizationId
        session.csrfToken = Secrets.token(prefix: "", bytes: 24)
        session.createdAt = now
        session.lastSeenAt = now
        session.expiresAt = now.addingTimeInterval(min(config.sessionIdleTimeout, config.sessionMaxAge))
        session.ip = req.clientIP
        session.userAgent = req.headers.first(name: .userAgent).map { String($0.prefix(300)) }
        let ip = req.clientIP
        // The session and the "Connexion" line of the activity log: both or neither.
        try await req.db.transaction { tx in
            try await session.create(on: tx)
            try await ActivityService.record(
                .login, organizationId: user.organizationId, userId: user.id, userEmail: user.email,
                objectType: "user", objectId: user.id, summary: "Connexion de \(user.email)", ip: ip, at: now, on: tx)
        }
        return token
    }

    /// The identity behind a session cookie, or nil when the session is unknown, expired, or its
    /// user disabled. Slides the expiry forward (at most once a minute, to spare writes).
    static func identity(sessionToken token: String, on req: Request) async throws -> Identity? {
        let now = req.now
        guard
            let session = try await UserSession.query(on: req.db)
                .filter(\.$tokenHash == Secrets.sha256Hex(token)).first()
        else { return nil }
        guard session.expiresAt > now else {
            try await session.delete(on: req.db)
            return nil
        }
        guard let user = try await User.find(session.userId, on: req.db), user.active else { return nil }
        if now.timeIntervalSince(session.lastSeenAt) > 60 {
            let config = req.application.config
            session.lastSeenAt = now
            session.expiresAt = min(
                now.addingTimeInterval(config.sessionIdleTimeout),
                session.createdAt.addingTimeInterval(config.sessionMaxAge))
            try await session.save(on: req.db)
        }
        let scope = try await TenantScope.make(user: user, on: req.db, ip: req.clientIP)
        return Identity(user: user, scope: scope, session: session, token: nil)
    }

    static func sessionCookie(_ token: String, for req: Request) -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: token, expires: nil, maxAge: Int(req.application.config.sessionMaxAge), domain: nil, path: "/",
            isSecure: req.isHTTPS, isHTTPOnly: true, sameSite: .lax)
    }

    // MARK: Bearer tokens

    /// Makes a bearer token for a user; returns the raw token (shown once) and its row.
    static func issueToken(
        for user: User, name: String, lifetime: TimeInterval?, now: Date, on db: any Database
    ) async throws -> (String, ApiToken) {
        let raw = Secrets.token(prefix: "lh_", bytes: 32)
        let token = ApiToken()
        token.organizationId = user.organizationId
        token.userId = try user.requireID()
        token.name = name
        token.tokenHash = Secrets.sha256Hex(raw)
        token.prefix = String(raw.prefix(10))
        token.expiresAt = lifetime.map { now.addingTimeInterval($0) }
        token.createdAt = now
        try await token.create(on: db)
        return (raw, token)
    }

    static func identity(bearer raw: String, on req: Request) async throws -> Identity? {
        let now = req.now
        guard let token = try await ApiToken.query(on: req.db).filter(\.$tokenHash == Secrets.sha256Hex(raw)).first(),
            token.revokedAt == nil, (token.expiresAt.map { $0 > now } ?? true)
        else { return nil }
        guard let user = try await User.find(token.userId, on: req.db), user.active,
            user.organizationId == token.organizationId
        else { return nil }
        if token.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            token.lastUsedAt = now
            try await token.save(on: req.db)
        }
        let scope = try await TenantScope.make(user: user, on: req.db, ip: req.clientIP)
        return Identity(user: user, scope: scope, session: nil, token: token)
    }
}

extension Application {
    private struct DummyHashKey: StorageKey { typealias Value = String }

    /// A bcrypt digest checked when the e-mail is unknown, so that a wrong e-mail and a wrong
    /// password take the same time.
    var dummyPasswordHash: String {
        get { storage[DummyHashKey.self] ?? "" }
        set { storage[DummyHashKey.self] = newValue }
    }
}
