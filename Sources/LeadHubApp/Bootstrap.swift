import Fluent
import Vapor

/// Entry point used by `main.swift`: builds the app, handles `serve --demo` and the first-start
/// admin, then runs the requested command.
public enum LeadHubMain {
    public static func run() async throws {
        var env = try Environment.detect()
        try LoggingSetup.bootstrap(from: &env, json: AppConfig.fromEnvironment().jsonLogs)

        // `serve --demo` is ours, not Vapor's: take the flag out before Vapor parses the arguments.
        var arguments = env.arguments
        let wantsDemo = arguments.contains("--demo")
        arguments.removeAll { $0 == "--demo" }
        env.arguments = arguments
        let command = arguments.dropFirst().first { !$0.hasPrefix("-") } ?? "serve"

        let app = try await Application.make(env)
        do {
            try await configure(app)
            if command == "serve" {
                if wantsDemo, try await Organization.query(on: app.db).count() == 0 {
                    for line in try await DemoData.create(app: app) { app.logger.notice("\(line)") }
                }
                try await UserBootstrap.ensureFirstAdmin(app: app) { message in
                    print(message)
                }
            }
            try await app.execute()
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}
