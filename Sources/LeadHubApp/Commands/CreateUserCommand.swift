import Fluent
import LeadHubCore
import Vapor

/// `leadhub create-user --org ORG --email E --password P --role admin|editor|viewer [--name N]`.
/// ORG is an existing organization's id or name, or the name of a new one.
struct CreateUserCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "org", help: "Organization id or name (created when no such organization exists)")
        var org: String?
        @Option(name: "email", help: "E-mail address (the login)")
        var email: String?
        @Option(name: "password", help: "Password (10 characters at least)")
        var password: String?
        @Option(name: "role", help: "admin, editor or viewer")
        var role: String?
        @Option(name: "name", help: "Display name (defaults to the e-mail)")
        var name: String?
    }

    var help: String { "Create a user (and its organization if needed)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard let org = signature.org, let email = signature.email, let password = signature.password,
            let roleText = signature.role
        else {
            throw CommandFailure(
                "Usage : leadhub create-user --org ORG --email E --password P --role admin|editor|viewer")
        }
        guard let role = Role(rawValue: roleText.lowercased()) else {
            throw CommandFailure("Rôle inconnu « \(roleText) » : admin, editor ou viewer.")
        }
        let user = try await UserBootstrap.createUser(
            app: app, organization: org, email: email, password: password, role: role, name: signature.name)
        context.console.print(
            "Utilisateur \(user.email) créé (\(role.label)) dans l'organisation \(user.organizationId).")
    }
}

struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Creating users outside a request: the CLI, the first-start admin and the demo.
enum UserBootstrap {
    static func createUser(
        app: Application, organization: String, email rawEmail: String, password: String, role: Role, name: String?
    ) async throws -> User {
        var errors = FieldErrors()
        let email = EmailAddress.normalize(rawEmail)
        if email == nil { errors.add("email", "Adresse e-mail invalide.") }
        PasswordPolicy.check(password, errors: &errors)
        if !errors.isEmpty {
            throw CommandFailure(errors.messages.sorted { $0.key < $1.key }.flatMap { $0.value }.joined(separator: " "))
        }
        if try await User.query(on: app.db).filter(\.$email == email!).count() > 0 {
            throw CommandFailure("Un utilisateur \(email!) existe déjà.")
        }
        var org = try await OrganizationService.find(idOrName: organization, on: app.db)
        if org == nil { org = try await OrganizationService.create(name: organization, on: app.db) }
        let organization = org!
        let hash = try await app.password.async(on: app.threadPool, hopTo: app.eventLoopGroup.any()).hash(password)
            .get()
        let user = User(
            organizationId: try organization.requireID(), email: email!, name: name ?? email!, passwordHash: hash,
            role: role)
        try await app.db.transaction { tx in
            try await user.create(on: tx)
            try await ActivityService.record(
                .create, organizationId: organization.requireID(), userId: nil, userEmail: nil, objectType: "user",
                objectId: user.id,
                summary: "Utilisateur \(user.email) créé en ligne de commande (\(role.label.lowercased()))", ip: nil,
                at: app.clock.now(), on: tx)
        }
        return user
    }

    /// On first start: the admin from `LEADHUB_ADMIN_EMAIL`/`LEADHUB_ADMIN_PASSWORD` when set and
    /// missing; or, on an empty database without them, an admin with a one-time password printed once.
    static func ensureFirstAdmin(app: Application, print: (String) -> Void) async throws {
        let config = app.config
        if let email = config.adminEmail, let password = config.adminPassword {
            guard let normalized = EmailAddress.normalize(email) else {
                throw CommandFailure("LEADHUB_ADMIN_EMAIL n'est pas une adresse valide.")
            }
            if try await User.query(on: app.db).filter(\.$email == normalized).count() == 0 {
                let orgName = try await Organization.query(on: app.db).first()?.name ?? "Mon organisation"
                _ = try await createUser(
                    app: app, organization: orgName, email: normalized, password: password, role: .admin,
                    name: "Administrateur")
                print("Administrateur \(normalized) créé depuis LEADHUB_ADMIN_EMAIL.")
            }
            return
        }
        guard try await User.query(on: app.db).count() == 0 else { return }
        let email = config.adminEmail ?? "admin@leadhub.local"
        let password = Secrets.readablePassword()
        _ = try await createUser(
            app: app, organization: "Mon organisation", email: email, password: password, role: .admin,
            name: "Administrateur")
        print(
            """

            ============================================================
              Premier démarrage : compte administrateur créé
              E-mail       : \(email)
              Mot de passe : \(password)
              (affiché une seule fois — changez-le dans Paramètres)
            ============================================================

            """)
    }
}
