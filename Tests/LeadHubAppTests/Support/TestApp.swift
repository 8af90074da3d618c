import Fluent
import FluentPostgresDriver
import Foundation
import LeadHubCore
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

/// A LeadHub application on its own fresh database: a new SQLite file in a temporary folder,
/// or, when `DATABASE_URL` is set, a new PostgreSQL database created for this test and dropped after.
struct TestApp {
    let app: Application
    let clock: FixedClock

    static func run(
        configure adjust: (inout AppConfig) -> Void = { _ in },
        _ body: (TestApp) async throws -> Void
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("leadhub-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var config = AppConfig(dataDirectory: folder.path, bcryptCost: 4, postgresPoolSize: 1)
        config.resourcesDirectory = packageRoot
        // Tests drive the delivery worker themselves (`app.deliveryWorker.runOnce()`).
        config.deliveryWorkers = false
        var scratch: ScratchPostgres? = nil
        if let base = Environment.get("DATABASE_URL"), !base.isEmpty {
            scratch = try await ScratchPostgres.create(from: base)
            config.databaseURL = scratch!.url
        }
        adjust(&config)
        let clock = FixedClock(Date(timeIntervalSince1970: 1_790_000_000))
        let app = try await Application.make(.testing)
        app.logger.logLevel = Environment.get("LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .warning
        do {
            try await configure(app, config: config, clock: clock)
            try await body(TestApp(app: app, clock: clock))
        } catch {
            try? await app.asyncShutdown()
            try? await scratch?.drop()
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        try await app.asyncShutdown()
        try await scratch?.drop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// The repository root (templates and public files are read from there).
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path + "/"
    }

    var db: any Database { app.db }
}

/// A throwaway PostgreSQL database for one test.
struct ScratchPostgres {
    let url: String
    let name: String
    let base: String

    static func create(from base: String) async throws -> ScratchPostgres {
        let name = "lh_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try await admin(base) { try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: $1) }
        var components = URLComponents(string: base)!
        components.path = "/" + name
        return ScratchPostgres(url: components.string!, name: String(name), base: base)
    }

    func drop() async throws {
        try await Self.admin(base) {
            try await $0.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: $1)
        }
    }

    private static func admin(_ url: String, _ body: (PostgresConnection, Logger) async throws -> Void) async throws {
        let logger = Logger(label: "scratch-postgres")
        let config = try SQLPostgresConfiguration(url: url)
        let connection = try await PostgresConnection.connect(
            configuration: config.coreConfiguration, id: 1, logger: logger)
        do {
            try await body(connection, logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
