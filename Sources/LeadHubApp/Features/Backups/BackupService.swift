import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// Consistent online copies of the SQLite database (`VACUUM INTO`, safe while serving), kept under
/// `data/backups`. A backup holds every organization: only the operators named in
/// `LEADHUB_OPERATOR_EMAILS` may see or make them from the pages — nobody when it is not set
/// (`leadhub backup` on the server always works).
enum BackupService {
    struct Backup: Encodable {
        let name: String
        let size: String
        let bytes: Int
        let created: String
    }

    static func directory(_ app: Application) -> String {
        (app.config.dataDirectory as NSString).appendingPathComponent("backups")
    }

    static func isOperator(_ identity: Identity, config: AppConfig) -> Bool {
        config.operatorEmails.contains(identity.user.email.lowercased())
    }

    static func requireOperator(_ req: Request) async throws -> Identity {
        guard let identity = req.identity else { throw AppError.unauthorized() }
        guard isOperator(identity, config: req.application.config) else {
            throw AppError.forbidden(
                req.application.config.operatorEmails.isEmpty
                    ? "Les sauvegardes concernent toute l'instance : aucun opérateur n'est configuré (LEADHUB_OPERATOR_EMAILS)."
                    : "Les sauvegardes concernent toute l'instance : réservées aux opérateurs.")
        }
        return identity
    }

    /// Copies the live database to `path` (which must not exist) in one consistent snapshot.
    static func backup(to path: String, app: Application) async throws {
        guard !app.config.usesPostgres else {
            throw CommandFailure("Base PostgreSQL : utilisez pg_dump (voir docs/OPERATIONS.md).")
        }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure("Le fichier \(path) existe déjà.")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        try await (app.db as! any SQLDatabase).raw("VACUUM INTO \(bind: path)").run()
    }

    /// Makes a backup in `data/backups` with a timestamped name.
    static func create(app: Application, now: Date) async throws -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = FrenchFormat.parisTimeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: now)
        let name = String(
            format: "leadhub-%04d%02d%02d-%02d%02d%02d.sqlite", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!
        )
        try await backup(to: (directory(app) as NSString).appendingPathComponent(name), app: app)
        return name
    }

    static func list(app: Application) throws -> [Backup] {
        let folder = directory(app)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return try names.filter { isValidName($0) }.sorted(by: >).map { name in
            let attributes = try FileManager.default.attributesOfItem(
                atPath: (folder as NSString).appendingPathComponent(name))
            let bytes = (attributes[.size] as? Int) ?? 0
            let date = (attributes[.modificationDate] as? Date) ?? Date()
            return Backup(
                name: name, size: FrenchFormat.integer(max(1, bytes / 1024)) + " Ko", bytes: bytes,
                created: FrenchFormat.dateTime(date))
        }
    }

    /// Names made by `create`: nothing else in the folder can be downloaded.
    static func isValidName(_ name: String) -> Bool {
        name.wholeMatch(of: /leadhub-\d{8}-\d{6}\.sqlite/) != nil
    }

    /// Replaces the database file by a backup (the server must be stopped). The current file is
    /// kept next to it as `leadhub.sqlite.before-restore-…`. Returns that file's path.
    static func restore(from source: String, config: AppConfig, now: Date) throws -> String {
        guard !config.usesPostgres else {
            throw CommandFailure("Base PostgreSQL : utilisez pg_restore (voir docs/OPERATIONS.md).")
        }
        guard let handle = FileHandle(forReadingAtPath: source) else {
            throw CommandFailure("Fichier introuvable : \(source)")
        }
        let header = handle.readData(ofLength: 16)
        try? handle.close()
        guard header == Data("SQLite format 3\u{0}".utf8) else {
            throw CommandFailure("\(source) n'est pas une base SQLite : rien n'a été changé.")
        }
        let target = config.sqlitePath
        let manager = FileManager.default
        try manager.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        let saved = target + ".before-restore-" + String(Int(now.timeIntervalSince1970))
        if manager.fileExists(atPath: target) { try manager.moveItem(atPath: target, toPath: saved) }
        for suffix in ["-wal", "-shm"] where manager.fileExists(atPath: target + suffix) {
            try manager.moveItem(atPath: target + suffix, toPath: saved + suffix)
        }
        try manager.copyItem(atPath: source, toPath: target)
        return saved
    }

    /// `PRAGMA integrity_check` on the database in use.
    static func integrityCheck(app: Application) async throws -> Bool {
        let row = try await (app.db as! any SQLDatabase).raw("PRAGMA integrity_check").first()
        return (try row?.decode(column: "integrity_check", as: String.self)) == "ok"
    }
}

struct BackupsPagesController {
    struct Context: Encodable {
        let backups: [BackupService.Backup]
        let postgres: Bool
        let folder: String
        /// Not an operator: the page says why, and how an operator is named.
        let denied: Bool
        let noOperators: Bool
    }

    @Sendable func index(req: Request) async throws -> Response {
        guard let identity = req.identity else { throw AppError.unauthorized() }
        let config = req.application.config
        let postgres = config.usesPostgres
        guard BackupService.isOperator(identity, config: config) else {
            return try await req.renderPage(
                "backups/index", title: "Sauvegardes",
                Context(
                    backups: [], postgres: postgres, folder: "", denied: true,
                    noOperators: config.operatorEmails.isEmpty),
                status: .forbidden)
        }
        return try await req.renderPage(
            "backups/index", title: "Sauvegardes",
            Context(
                backups: postgres ? [] : try BackupService.list(app: req.application), postgres: postgres,
                folder: BackupService.directory(req.application), denied: false, noOperators: false))
    }

    @Sendable func create(req: Request) async throws -> Response {
        let identity = try await BackupService.requireOperator(req)
        let name = try await BackupService.create(app: req.application, now: req.now)
        try await ActivityService.record(
            .create, objectType: "backup", summary: "Sauvegarde \(name) créée", scope: identity.scope, at: req.now,
            on: req.db)
        return req.redirect(to: "/settings/backups", flash: "Sauvegarde \(name) créée.")
    }

    @Sendable func download(req: Request) async throws -> Response {
        let identity = try await BackupService.requireOperator(req)
        guard let name = req.parameters.get("backup_name"), BackupService.isValidName(name) else {
            throw AppError.notFound
        }
        let path = (BackupService.directory(req.application) as NSString).appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: path) else { throw AppError.notFound }
        try await ActivityService.record(
            .create, objectType: "backup", summary: "Sauvegarde \(name) téléchargée", scope: identity.scope,
            at: req.now,
            on: req.db)
        let response = try await req.fileio.asyncStreamFile(at: path)
        response.headers.contentType = HTTPMediaType(type: "application", subType: "vnd.sqlite3")
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(name)\"")
        return response
    }
}

/// `leadhub backup --to FILE`
struct BackupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "to", help: "Where to write the copy (must not exist)")
        var to: String?
    }

    var help: String { "Write a consistent copy of the SQLite database, even while LeadHub serves." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let path = signature.to else { throw CommandFailure("Usage : leadhub backup --to FICHIER") }
        try await BackupService.backup(to: path, app: context.application)
        context.console.print("Sauvegarde écrite dans \(path).")
    }
}
