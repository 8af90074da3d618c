import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import SQLKit
import Vapor

enum DatabaseSetup {
    /// SQLite in the data directory, or PostgreSQL when `DATABASE_URL` is set.
    static func configure(_ app: Application) throws {
        let config = app.config
        if let url = config.databaseURL {
            var postgres = try SQLPostgresConfiguration(url: url)
            postgres.searchPath = nil
            let perLoop = config.postgresPoolSize
            app.databases.use(.postgres(configuration: postgres, maxConnectionsPerEventLoop: perLoop), as: .psql)
            MetricsSetup.recordPool(driver: "postgres", maxConnections: perLoop * System.coreCount)
        } else {
            try FileManager.default.createDirectory(
                atPath: config.dataDirectory, withIntermediateDirectories: true)
            app.databases.use(.sqlite(.file(config.sqlitePath), sqlLogLevel: nil), as: .sqlite)
            MetricsSetup.recordPool(driver: "sqlite", maxConnections: System.coreCount)
        }
    }

    /// SQLite settings. WAL lets readers work while one writer commits; `synchronous=FULL`
    /// fsyncs every commit (an accepted lead must survive a power cut); `busy_timeout` makes a
    /// writer wait for the lock instead of failing. `journal_mode` is stored in the file; the other
    /// two are per connection, so they are applied on the one connection of each event loop's pool
    /// (the SQLite driver keeps exactly one connection per event loop, for the process lifetime).
    static func applySQLitePragmas(_ app: Application) async throws {
        guard !app.config.usesPostgres else { return }
        for eventLoop in app.eventLoopGroup.makeIterator() {
            let db = app.databases.database(logger: app.logger, on: eventLoop)! as! any SQLDatabase
            try await db.raw("PRAGMA journal_mode=WAL").run()
            try await db.raw("PRAGMA synchronous=FULL").run()
            try await db.raw("PRAGMA busy_timeout=5000").run()
            try await db.raw("PRAGMA foreign_keys=ON").run()
            // 16 MB of page cache (the default is 2 MB): the delivery workers and the pages read
            // leads all over the table, and each miss is a read(2) from the OS.
            try await db.raw("PRAGMA cache_size=-16000").run()
        }
    }

    /// A bigger page cache for bulk work (the import): inserting a million leads updates every
    /// index of `leads` at random places, and with the pages' default cache most inserts read
    /// pages back from the OS. `megabytes` per connection.
    static func enlargeSQLiteCache(_ app: Application, megabytes: Int) async throws {
        guard !app.config.usesPostgres else { return }
        for eventLoop in app.eventLoopGroup.makeIterator() {
            let db = app.databases.database(logger: app.logger, on: eventLoop)! as! any SQLDatabase
            try await db.raw("PRAGMA cache_size=\(unsafeRaw: String(-megabytes * 1_000))").run()
        }
    }
}
