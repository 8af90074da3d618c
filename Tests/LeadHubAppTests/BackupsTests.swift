import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct BackupsTests {
    @Test func backupIsAConsistentCopyTakenWhileServing() async throws {
        try await TestApp.run { t in
            guard !t.app.config.usesPostgres else { return }
            let tenant = try await t.makeTenant("Alpha")
            let path = t.app.config.dataDirectory + "/copie.sqlite"
            try await BackupService.backup(to: path, app: t.app)
            let header = FileManager.default.contents(atPath: path)?.prefix(16)
            #expect(header == Data("SQLite format 3\u{0}".utf8))
            await #expect(throws: CommandFailure.self) { try await BackupService.backup(to: path, app: t.app) }
            // Restore into another data directory and read the lead back.
            var config = t.app.config
            config.dataDirectory = t.app.config.dataDirectory + "/restored"
            _ = try BackupService.restore(from: path, config: config, now: Date())
            let copy = try await Application.make(.testing)
            try await configure(copy, config: config)
            #expect(try await BackupService.integrityCheck(app: copy))
            #expect(try await Lead.find(tenant.lead.id, on: copy.db)?.nom == tenant.lead.nom)
            try await copy.asyncShutdown()
        }
    }

    @Test func restoreRefusesAFileThatIsNotADatabase() async throws {
        try await TestApp.run { t in
            guard !t.app.config.usesPostgres else { return }
            let bogus = t.app.config.dataDirectory + "/bogus.sqlite"
            FileManager.default.createFile(atPath: bogus, contents: Data("pas une base".utf8))
            var config = t.app.config
            config.dataDirectory = t.app.config.dataDirectory + "/other"
            #expect(throws: CommandFailure.self) {
                _ = try BackupService.restore(from: bogus, config: config, now: Date())
            }
        }
    }

    @Test func withoutOperatorsNobodyGetsTheInstancesBackupsAndThePageSaysWhy() async throws {
        try await TestApp.run { t in
            let alpha = try await t.makeTenant("Alpha")
            // The admin of the oldest organization used to be an operator by default: no longer.
            let session = try await t.login(email: alpha.admin.email)
            let page = try await t.browse(.GET, "/settings/backups", session: session)
            #expect(page.status == .forbidden)
            #expect(page.text.contains("LEADHUB_OPERATOR_EMAILS"))
            #expect(page.text.contains("toutes"))
            #expect(try await t.browse(.POST, "/settings/backups", session: session).status == .forbidden)
        }
    }

    @Test func operatorsCreateListAndDownloadBackupsOthersCannot() async throws {
        try await TestApp.run(configure: { $0.operatorEmails = ["admin@alpha.test"] }) { t in
            let alpha = try await t.makeTenant("Alpha")
            let bravo = try await t.makeTenant("Bravo")
            let bravoSession = try await t.login(email: bravo.admin.email)
            #expect(try await t.browse(.GET, "/settings/backups", session: bravoSession).status == .forbidden)
            #expect(try await t.browse(.POST, "/settings/backups", session: bravoSession).status == .forbidden)
            let editor = try await t.login(email: "editor@alpha.test")
            #expect(try await t.browse(.GET, "/settings/backups", session: editor).status == .forbidden)
            guard !t.app.config.usesPostgres else { return }
            let session = try await t.login(email: alpha.admin.email)
            let created = try await t.browse(.POST, "/settings/backups", session: session)
            #expect(created.status == .seeOther)
            let page = try await t.browse(.GET, "/settings/backups", session: session).text
            let name = String(try #require(page.firstMatch(of: /leadhub-\d{8}-\d{6}\.sqlite/)).output)
            let download = try await t.browse(.GET, "/settings/backups/\(name)", session: session)
            #expect(download.status == .ok)
            #expect(download.headers.first(name: .contentDisposition)?.contains(name) == true)
            let traversal = try await t.browse(.GET, "/settings/backups/..%2Fleadhub.sqlite", session: session)
            #expect([.notFound, .badRequest, .forbidden].contains(traversal.status), "\(traversal.status)")
            #expect(!traversal.text.hasPrefix("SQLite"))
        }
    }
}
