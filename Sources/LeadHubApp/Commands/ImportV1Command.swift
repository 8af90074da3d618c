import Foundation
import LeadHubCore
import Vapor

/// `leadhub import-v1 --from DIR --org NAME [--dry-run] [--report FILE]`: the first version's
/// `mongoexport` files into one organization (created when missing), which then answers the first
/// version's public calls. Idempotent; a dry run writes nothing.
struct ImportV1Command: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "from", help: "Folder of the first version's exports (<collection>.json, array or JSON lines)")
        var from: String?
        @Option(name: "org", help: "Organization id or name (created when missing)")
        var org: String?
        @Flag(name: "dry-run", help: "Read and check everything, write nothing")
        var dryRun: Bool
        @Option(name: "report", help: "Where to write the full report (default: DIR/import-v1-report.txt)")
        var report: String?
        @Option(name: "batch", help: "Leads per transaction (default 1000)")
        var batch: Int?
    }

    var help: String { "Import the first version's MongoDB exports into an organization." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let from = signature.from, let org = signature.org else {
            throw CommandFailure(
                "Usage : leadhub import-v1 --from DOSSIER --org ORGANISATION [--dry-run] [--report FICHIER]")
        }
        var options = V1Importer.Options(directory: from, organization: org, dryRun: signature.dryRun)
        if let batch = signature.batch { options.batchSize = max(1, batch) }
        try await DatabaseSetup.enlargeSQLiteCache(context.application, megabytes: 512)
        let importer = V1Importer(app: context.application, options: options)
        let report = try await importer.run()
        let full = report.text(collections: V1Importer.collections)
        let path = signature.report ?? (from + "/import-v1-report.txt")
        FileManager.default.createFile(
            atPath: path, contents: Data(full.utf8), attributes: [.posixPermissions: 0o600])
        context.console.print(report.text(collections: V1Importer.collections, maxNotes: 40))
        context.console.print("Rapport complet : \(path)")
    }
}
