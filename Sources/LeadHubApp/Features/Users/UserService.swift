import Fluent
import Foundation
import LeadHubCore
import Vapor

struct UserInput: Decodable, Sendable {
    var email: String?
    var name: String?
    var password: String?
    var role: String?
    var crmIds: [String]?
    var accountIds: [String]?
    var active: Bool?
    /// Filled by `UserService.hashPassword` before the service runs.
    var passwordHash: String?
    var passwordErrors = FieldErrors()

    enum CodingKeys: String, CodingKey {
        case email, name, password, role, active
        case crmIds = "crm_ids", accountIds = "account_ids"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        email = try c.text(.email)
        name = try c.text(.name)
        password = try c.text(.password)
        role = try c.text(.role)
        crmIds = try c.list(.crmIds)
        accountIds = try c.list(.accountIds)
        active = try c.flag(.active)
    }
}

enum UserService {
    static let sortable = ["name": "name", "email": "email", "role": "role", "created": "created_at"]

    static func filtered(_ params: ListParams, scope: TenantScope, on db: any Database) throws -> QueryBuilder<User> {
        try scope.require(.manageUsers)
        return scope.query(User.self, on: db).search(params.search, in: ["name", "email"])
    }

    /// Checks the password policy and hashes a given password with the app's bcrypt settings,
    /// on the thread pool. An empty password on update means "unchanged".
    @Sendable static func hashPassword(_ input: inout UserInput, req: Request) async throws {
        guard let password = input.password, !password.isEmpty else { return }
        PasswordPolicy.check(password, errors: &input.passwordErrors)
        if input.passwordErrors.isEmpty {
            input.passwordHash = try await req.password.async.hash(password).get()
        }
    }

    static func create(_ input: UserInput, scope: TenantScope, now: Date, on db: any Database) async throws -> User {
        try scope.require(.manageUsers)
        let user = User(organizationId: scope.organizationId, email: "", name: "", passwordHash: "", role: .viewer)
        var errors = input.passwordErrors
        if input.passwordHash == nil && errors.isEmpty { errors.add("password", "Le mot de passe est obligatoire.") }
        user.passwordHash = input.passwordHash ?? ""
        try await apply(input, to: user, creating: true, scope: scope, errors: errors, on: db)
        try await db.transaction { tx in
            try await user.create(on: tx)
            try await ActivityService.record(
                .create, objectType: "user", objectId: user.id,
                summary: "Utilisateur \(user.email) créé (\(user.role.label.lowercased()))", scope: scope, at: now,
                on: tx)
        }
        return user
    }

    static func update(_ id: UUID?, _ input: UserInput, scope: TenantScope, now: Date, on db: any Database) async throws
        -> User
    {
        let user = try await scope.find(User.self, id, on: db)
        try scope.require(.manageUsers)
        if let hash = input.passwordHash { user.passwordHash = hash }
        try await apply(input, to: user, creating: false, scope: scope, errors: input.passwordErrors, on: db)
        let endSessions = input.passwordHash != nil || user.active == false
        try await db.transaction { tx in
            try await user.save(on: tx)
            if endSessions {
                // A new password or a disabled account ends the user's open sessions.
                try await UserSession.query(on: tx).filter(\.$userId == user.requireID()).delete()
            }
            try await ActivityService.record(
                .update, objectType: "user", objectId: user.id, summary: "Utilisateur \(user.email) modifié",
                scope: scope, at: now, on: tx)
        }
        return user
    }

    static func delete(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws {
        let user = try await scope.find(User.self, id, on: db)
        try scope.require(.manageUsers)
        if user.id == scope.userId {
            throw AppError.conflict(field: nil, message: "Vous ne pouvez pas supprimer votre propre compte.")
        }
        if user.role == .admin, try await activeAdminCount(scope: scope, on: db) <= 1 {
            throw AppError.conflict(field: nil, message: "L'organisation doit garder au moins un administrateur actif.")
        }
        try await db.transaction { tx in
            try await user.delete(on: tx)
            try await ActivityService.record(
                .delete, objectType: "user", objectId: user.id, summary: "Utilisateur \(user.email) supprimé",
                scope: scope, at: now, on: tx)
        }
    }

    private static func activeAdminCount(scope: TenantScope, on db: any Database) async throws -> Int {
        try await User.query(on: db).filter(\.$organizationId == scope.organizationId)
            .filter(\.$roleRaw == Role.admin.rawValue).filter(\.$active == true).count()
    }

    private static func apply(
        _ input: UserInput, to user: User, creating: Bool, scope: TenantScope, errors initial: FieldErrors,
        on db: any Database
    ) async throws {
        var errors = initial
        let wasActiveAdmin = !creating && user.role == .admin && user.active
        if creating || input.email != nil {
            if let email = EmailAddress.normalize(input.email ?? "") {
                user.email = email
            } else {
                errors.add(
                    "email", (input.email ?? "").isEmpty ? "Ce champ est obligatoire." : "Adresse e-mail invalide.")
            }
        }
        if creating || input.name != nil {
            user.name = Check.requiredText(input.name, field: "name", max: 100, errors: &errors)
        }
        if creating || input.role != nil {
            if let role = Role(rawValue: (input.role ?? "").lowercased()) {
                user.role = role
            } else {
                errors.add("role", "Rôle inconnu : admin, editor ou viewer.")
            }
        }
        if let active = input.active { user.active = active }
        if let raw = input.crmIds {
            let ids = raw.compactMap(UUID.init(uuidString:))
            let known = try await Crm.query(on: db).filter(\.$organizationId == scope.organizationId)
                .filter(\.$id ~~ ids).count()
            if ids.count != raw.count || known != Set(ids).count {
                errors.add("crm_ids", "Un des CRMs choisis est introuvable.")
            }
            user.crmIds = Array(Set(ids)).sorted { $0.uuidString < $1.uuidString }
        }
        if let raw = input.accountIds {
            let ids = raw.compactMap(UUID.init(uuidString:))
            let known = try await Account.query(on: db).filter(\.$organizationId == scope.organizationId)
                .filter(\.$id ~~ ids).count()
            if ids.count != raw.count || known != Set(ids).count {
                errors.add("account_ids", "Un des comptes choisis est introuvable.")
            }
            user.accountIds = Array(Set(ids)).sorted { $0.uuidString < $1.uuidString }
        }
        if user.id == scope.userId && (user.role != .admin || !user.active) {
            errors.add("role", "Vous ne pouvez pas retirer vos propres droits d'administrateur.")
        }
        if wasActiveAdmin && (user.role != .admin || !user.active),
            try await activeAdminCount(scope: scope, on: db) <= 1
        {
            errors.add("role", "L'organisation doit garder au moins un administrateur actif.")
        }
        try errors.throwIfAny()
        var taken = User.query(on: db).filter(\.$email == user.email)
        if let id = user.id { taken = taken.filter(\.$id != id) }
        if try await taken.count() > 0 {
            throw AppError.conflict(field: "email", message: "Cette adresse e-mail est déjà utilisée.")
        }
    }
}

struct UserDTO: Content {
    let id: UUID
    let organizationId: UUID
    let email: String
    let name: String
    let role: String
    let crmIds: [UUID]
    let accountIds: [UUID]
    let active: Bool
    let lastLoginAt: Date?
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, organizationId = "organization_id", email, name, role, crmIds = "crm_ids"
        case accountIds = "account_ids", active, lastLoginAt = "last_login_at", createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ u: User) {
        id = u.id!
        organizationId = u.organizationId
        email = u.email
        name = u.name
        role = u.roleRaw
        crmIds = u.crmIds
        accountIds = u.accountIds
        active = u.active
        lastLoginAt = u.lastLoginAt
        createdAt = u.createdAt
        updatedAt = u.updatedAt
    }
}
