import Fluent
import Vapor

/// `leadhub migrate`: applies pending migrations without asking (configure already migrates on
/// start unless `LEADHUB_AUTO_MIGRATE=false`; this command is for deployments that turn that off).
struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "revert", help: "Revert the last batch of migrations instead.")
        var revert: Bool
    }

    var help: String { "Apply (or revert) database migrations." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        if signature.revert {
            try await app.autoRevert()
            context.console.print("Dernier lot de migrations annulé.")
        } else {
            try await app.autoMigrate()
            context.console.print("Base de données à jour (\(LeadHubMigrations.all.count) migrations).")
        }
    }
}
