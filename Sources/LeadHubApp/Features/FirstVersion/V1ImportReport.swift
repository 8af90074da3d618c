import Foundation
import LeadHubCore

/// What `leadhub import-v1` did, per collection: documents read, created, updated, unchanged,
/// skipped; every skipped or altered document with its reason; the one-time passwords of the
/// imported users. Printed, and written as a file.
struct V1ImportReport: Sendable {
    struct Counts: Sendable, Equatable {
        var read = 0
        var created = 0
        var updated = 0
        var unchanged = 0
        var skipped = 0
        var altered = 0
    }

    struct Note: Sendable, Equatable {
        enum Kind: String, Sendable { case skipped = "ignoré", altered = "modifié", info = "note" }
        let collection: String
        let oldId: String
        let kind: Kind
        let reason: String
    }

    struct Password: Sendable, Equatable {
        let email: String
        let password: String
    }

    let dryRun: Bool
    var organization = ""
    var organizationCreated = false
    var counts: [String: Counts] = [:]
    var notes: [Note] = []
    var passwords: [Password] = []
    var startedAt = Date()
    var seconds = 0.0

    init(dryRun: Bool) { self.dryRun = dryRun }

    mutating func count(_ collection: String, _ change: (inout Counts) -> Void) {
        change(&counts[collection, default: Counts()])
    }

    mutating func skip(_ collection: String, _ oldId: String?, _ reason: String) {
        counts[collection, default: Counts()].skipped += 1
        notes.append(Note(collection: collection, oldId: oldId ?? "?", kind: .skipped, reason: reason))
    }

    /// An imported document whose value had to change; counted once per document.
    mutating func alter(_ collection: String, _ oldId: String?, _ reason: String, countOnce: Bool = true) {
        if countOnce { counts[collection, default: Counts()].altered += 1 }
        notes.append(Note(collection: collection, oldId: oldId ?? "?", kind: .altered, reason: reason))
    }

    mutating func info(_ collection: String, _ reason: String) {
        notes.append(Note(collection: collection, oldId: "—", kind: .info, reason: reason))
    }

    /// Every document read is created, updated, unchanged or skipped.
    var accountsForEveryDocument: Bool {
        counts.values.allSatisfy { $0.read == $0.created + $0.updated + $0.unchanged + $0.skipped }
    }

    /// The report in French, as printed and written.
    func text(collections: [String], maxNotes: Int = .max) -> String {
        var lines: [String] = []
        lines.append("Import de la première version" + (dryRun ? " — ESSAI (--dry-run) : rien n'a été écrit" : ""))
        lines.append(
            "Organisation : \(organization)" + (organizationCreated ? " (créée)" : "") + " — durée : "
                + String(format: "%.1f", seconds).replacingOccurrences(of: ".", with: ",") + " s")
        lines.append("")
        lines.append("collection            lus   créés  mis à jour  inchangés  ignorés  modifiés")
        let known = collections + counts.keys.filter { !collections.contains($0) }.sorted()
        for name in known {
            guard let c = counts[name] else { continue }
            func pad(_ value: Int, _ width: Int) -> String {
                let text = String(value)
                return String(repeating: " ", count: max(0, width - text.count)) + text
            }
            lines.append(
                name.padding(toLength: 18, withPad: " ", startingAt: 0) + pad(c.read, 8) + pad(c.created, 8)
                    + pad(c.updated, 12) + pad(c.unchanged, 11) + pad(c.skipped, 9) + pad(c.altered, 10))
        }
        if !passwords.isEmpty {
            lines.append("")
            lines.append(
                "Mots de passe à usage unique (à changer à la première connexion ; les anciens ne sont pas repris) :")
            for entry in passwords { lines.append("  \(entry.email)  \(entry.password)") }
        }
        if !notes.isEmpty {
            lines.append("")
            lines.append("Documents ignorés ou modifiés, avec la raison :")
            for note in notes.prefix(maxNotes) {
                lines.append("  [\(note.kind.rawValue)] \(note.collection) \(note.oldId) : \(note.reason)")
            }
            if notes.count > maxNotes {
                lines.append("  … et \(notes.count - maxNotes) autres (voir le fichier du rapport)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
