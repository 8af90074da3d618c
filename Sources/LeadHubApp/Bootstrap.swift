import CExecutorHook
import NIOCore
import Synchronization
import NIOPosix
import Fluent
import Vapor

/// Entry point used by `main.swift`: builds the app, handles `serve --demo` and the first-start
/// admin, then runs the requested command.
public enum LeadHubMain {
    /// Installs NIO's event loop group as the global executor of Swift Concurrency (before any
    /// other async work). Returns false when it could not (it was already in use).
    @discardableResult
    public static func useEventLoopsAsGlobalExecutor() -> Bool {
        // NIO's install finds the runtime's hook with dlsym: fine with the runtime as a shared
        // library (debug builds), impossible when it is linked statically (the release bundle),
        // where the symbol is local. Then the hook is set from C, resolved at link time.
        let installed =
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            || leadhub_install_enqueue_global_hook(enqueueOnEventLoop) == 1
        eventLoopsAreGlobalExecutor.withLock { $0 = installed }
        return installed
    }

    /// Whether `useEventLoopsAsGlobalExecutor()` succeeded (`serve` says so when it did not).
    static let eventLoopsAreGlobalExecutor = Mutex(false)

    public static func run() async throws {
        var env = try Environment.detect()
        try LoggingSetup.bootstrap(from: &env, json: AppConfig.fromEnvironment().jsonLogs)

        // `serve --demo` is ours, not Vapor's: take the flag out before Vapor parses the arguments.
        var arguments = env.arguments
        let wantsDemo = arguments.contains("--demo")
        arguments.removeAll { $0 == "--demo" }
        env.arguments = arguments
        let command = arguments.dropFirst().first { !$0.hasPrefix("-") } ?? "serve"

        if command == "fake-crm" {
            try await FakeCrmServer.run(arguments: arguments, env: env)
            return
        }
        if command == "restore" {
            try await restore(arguments: Array(arguments.dropFirst(2)), env: env)
            return
        }
        let app = try await Application.make(env)
        do {
            try await configure(app)
            if command == "serve" {
                if !eventLoopsAreGlobalExecutor.withLock({ $0 }) {
                    // A binary with the Swift runtime linked statically hides the hook NIO needs
                    // (docs/BENCHMARKS.md): everything works, with a thread hop per async request.
                    app.logger.notice(
                        "Swift Concurrency reste sur son propre pool de threads (pas sur les boucles NIO)")
                }
                if wantsDemo, try await Organization.query(on: app.db).count() == 0 {
                    for line in try await DemoData.create(app: app) { app.logger.notice("\(line)") }
                }
                let partnersWanted = ["1", "true", "yes", "on"].contains(app.config.demoPartners)
                if wantsDemo || partnersWanted {
                    DemoPartners.mount(on: app)
                    app.logger.notice("Mode démo : ZR7 et Maison du Lead simulés sur \(DemoPartners.pathPrefix)…")
                }
                try await UserBootstrap.ensureFirstAdmin(app: app) { message in
                    print(message)
                }
            }
            try await app.execute()
        } catch {
            // Missing resources are said once, by the caller, in one line.
            if !(error is ResourcesCheck.Missing) { app.logger.report(error: error) }
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// `leadhub restore FILE`: swaps the database file before anything opens it, then checks the
    /// restored file (integrity, migrations) and puts the previous one back if the check fails.
    private static func restore(arguments: [String], env: Environment) async throws {
        guard let source = arguments.first(where: { !$0.hasPrefix("-") }) else {
            throw CommandFailure("Usage : leadhub restore FICHIER (LeadHub doit être arrêté)")
        }
        let config = AppConfig.fromEnvironment()
        let saved = try BackupService.restore(from: source, config: config, now: Date())
        var checkEnv = env
        checkEnv.arguments = [env.arguments.first ?? "leadhub"]
        let app = try await Application.make(checkEnv)
        do {
            try await configure(app, config: config)
            guard try await BackupService.integrityCheck(app: app) else { throw CommandFailure("intégrité") }
            try await app.asyncShutdown()
            print("Base restaurée depuis \(source). L'ancienne base est conservée dans \(saved).")
        } catch {
            try? await app.asyncShutdown()
            let manager = FileManager.default
            try? manager.removeItem(atPath: config.sqlitePath)
            if manager.fileExists(atPath: saved) { try? manager.moveItem(atPath: saved, toPath: config.sqlitePath) }
            throw CommandFailure(
                "Restauration annulée : la sauvegarde est illisible ou incomplète (\(error)). Base d'origine remise en place."
            )
        }
    }
}

/// The global executor hook: a Swift Concurrency job runs on an event loop of NIO's singleton group
/// (the current one when called from one: `any()` is sticky), as NIO's own install does.
private let enqueueOnEventLoop: leadhub_enqueue_hook_t = { job, _ in
    guard let job else { return }
    let unowned = unsafeBitCast(job, to: UnownedJob.self)
    MultiThreadedEventLoopGroup.singleton.any().executor.enqueue(ExecutorJob(unowned))
}
