import Fluent
import Foundation
import Vapor

/// Writes and reads the activity log. Every change in LeadHub goes through `record`.
enum ActivityService {
    enum Action: String, CaseIterable {
        case create, update, delete, login, loginFailed = "login_failed", logout
        case tokenCreated = "token_created", tokenRevoked = "token_revoked", passwordChanged = "password_changed"

        var label: String {
            switch self {
            case .create: "Création"
            case .update: "Modification"
            case .delete: "Suppression"
            case .login: "Connexion"
            case .loginFailed: "Échec de connexion"
            case .logout: "Déconnexion"
            case .tokenCreated: "Jeton créé"
            case .tokenRevoked: "Jeton révoqué"
            case .passwordChanged: "Mot de passe changé"
            }
        }
    }

    static func record(
        _ action: Action, objectType: String? = nil, objectId: UUID? = nil, summary: String,
        scope: TenantScope, at now: Date, on db: any Database
    ) async throws {
        try await record(
            action, organizationId: scope.organizationId, userId: scope.userId, userEmail: scope.userEmail,
            objectType: objectType, objectId: objectId, summary: summary, ip: scope.ip, at: now, on: db)
    }

    static func record(
        _ action: Action, organizationId: UUID, userId: UUID?, userEmail: String?, objectType: String? = nil,
        objectId: UUID? = nil, summary: String, ip: String?, at now: Date, on db: any Database
    ) async throws {
        let entry = ActivityEntry()
        entry.organizationId = organizationId
        entry.userId = userId
        entry.userEmail = userEmail
        entry.action = action.rawValue
        entry.objectType = objectType
        entry.objectId = objectId
        entry.summary = String(summary.prefix(500))
        entry.ip = ip
        entry.createdAt = now
        try await entry.create(on: db)
    }
}
