import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// « Retours »: a CRM (with its returns key), an admin on its behalf, or a CSV file returns a
/// delivered lead with a reason. `ReturnRules` (LeadHubCore) decides: within the window, one per
/// lead, a verified duplicate accepted at once, the others waiting for a decision, a monthly cap
/// that flags abuse. An accepted return is a credit on the billing of the lead's period
/// (`BillingService` counts `leads.return_status = 'accepted'`).
enum ReturnService {
    enum Channel: String, Sendable {
        case crmAPI = "crm_api"
        case admin
        case csv

        var label: String {
            switch self {
            case .crmAPI: "API du CRM"
            case .admin: "Back-office"
            case .csv: "Fichier CSV"
            }
        }
    }

    /// Who asks: a user of the organization (admin channel and CSV), or a CRM with its key.
    struct Requester: Sendable {
        let organizationId: UUID
        /// Set for the CRM channel: only leads delivered to it can be returned.
        let crmId: UUID?
        let label: String
        let scope: TenantScope?
    }

    /// What names the lead: its id, or the phone of a lead delivered to the CRM (the latest one).
    struct Target: Sendable {
        var leadId: UUID?
        var phone: String?
        var productType: String?
    }

    static let prefix = "lhr_"

    /// Finds the lead a return names, inside the organization (and the user's or CRM's view).
    static func lead(_ target: Target, requester: Requester, on db: any Database) async throws -> Lead {
        var query = Lead.query(on: db).filter(\.$organizationId == requester.organizationId)
        if let scope = requester.scope { query = Lead.restrict(query, to: scope) }
        if let crm = requester.crmId { query = query.filter(\.$routedCrmId == crm) }
        if let id = target.leadId {
            guard let lead = try await query.filter(\.$id == id).first() else {
                throw FieldErrors(["lead_id": ["Lead introuvable."]])
            }
            return lead
        }
        guard let raw = target.phone?.trimmedText, !raw.isEmpty else {
            throw FieldErrors(["lead_id": ["Indiquez le lead : lead_id, ou son téléphone (phone)."]])
        }
        guard case .success(let phone) = FrenchPhone.parse(raw) else {
            throw FieldErrors(["phone": ["Numéro de téléphone invalide."]])
        }
        query = query.filter(\.$phone == phone.e164).filter(\.$status ~~ BillingService.billedStatuses)
        if let product = target.productType?.trimmedText, !product.isEmpty {
            query = query.filter(\.$productType == product.uppercased())
        }
        guard let lead = try await query.sort(\.$createdAt, .descending).first() else {
            throw FieldErrors(["phone": ["Aucun lead livré à ce numéro."]])
        }
        return lead
    }

    /// Records a return and what the rules make of it.
    static func request(
        _ target: Target, reason rawReason: String?, note rawNote: String?, channel: Channel, requester: Requester,
        now: Date, on db: any Database
    ) async throws -> LeadReturn {
        if let scope = requester.scope { try scope.require(.edit) }
        guard let reason = rawReason.flatMap(ReturnReason.parse) else {
            throw FieldErrors([
                "reason": [
                    "Raison inconnue : "
                        + ReturnReason.allCases.map { "\($0.rawValue) (\($0.label))" }.joined(separator: ", ") + "."
                ]
            ])
        }
        let note = rawNote?.trimmedText.prefix(1_000).description
        let lead = try await lead(target, requester: requester, on: db)
        guard let crmId = lead.routedCrmId,
            let delivery = try await Delivery.query(on: db).filter(\.$leadId == lead.requireID())
                .filter(\.$crmId == crmId).filter(\.$statusRaw ~~ ["delivered", "duplicate"])
                .sort(\.$createdAt, .descending).first()
        else {
            throw FieldErrors(["lead_id": ["Ce lead n'a pas été livré : il ne peut pas être retourné."]])
        }
        let organization = try await Organization.find(requester.organizationId, on: db)
        let window = organization?.returnWindowDays ?? ReturnRules.defaultWindowDays
        let cap = organization?.returnCapPercent ?? ReturnRules.defaultCapPercent
        let month = try BillingPeriod.parse(from: nil, to: nil, now: now).get()
        let returnsThisMonth = try await LeadReturn.query(on: db).filter(\.$organizationId == lead.organizationId)
            .filter(\.$crmId == crmId).filter(\.$createdAt >= month.start).count()
        let deliveredThisMonth = try await Lead.query(on: db).filter(\.$organizationId == lead.organizationId)
            .filter(\.$routedCrmId == crmId).filter(\.$status ~~ BillingService.billedStatuses)
            .filter(\.$createdAt >= month.start).filter(\.$createdAt < month.end).count()
        let already = try await LeadReturn.query(on: db).filter(\.$leadId == lead.requireID()).count() > 0
        var verified = false
        if reason == .duplicate { verified = try await isVerifiedDuplicate(lead, crmId: crmId, on: db) }
        let outcome = ReturnRules.decide(
            .init(
                reason: reason, note: note, deliveredAt: delivery.deliveredAt ?? delivery.updatedAt, now: now,
                windowDays: window, duplicateVerified: verified, returnsThisMonth: returnsThisMonth,
                deliveredThisMonth: deliveredThisMonth, capPercent: cap,
                alreadyReturned: already || lead.returnStatus != nil))
        let status: ReturnStatus
        let overCap: Bool
        switch outcome {
        case .refused(let field, let message): throw FieldErrors([field: [message]])
        case .recorded(let s, let o):
            status = s
            overCap = o
        }
        let item = LeadReturn()
        item.id = TimeOrderedID.make(at: now)
        item.organizationId = lead.organizationId
        item.leadId = try lead.requireID()
        item.crmId = crmId
        item.reasonRaw = reason.rawValue
        item.note = (note ?? "").isEmpty ? nil : note
        item.channel = channel.rawValue
        item.statusRaw = status.rawValue
        item.overCap = overCap
        item.requestedBy = requester.label
        item.createdAt = now
        if status == .accepted {
            item.decidedAt = now
            item.decidedBy = "LeadHub"
            item.decisionNote = "Doublon vérifié : un lead du même numéro avait déjà été livré à ce CRM."
        }
        let crmName = try await Crm.find(crmId, on: db)?.name ?? "CRM"
        try await db.transaction { tx in
            try await item.create(on: tx)
            try await (tx as! any SQLDatabase).update("leads").set("return_status", to: status.rawValue)
                .set("updated_at", to: now).where("id", .equal, item.leadId).run()
            var summary =
                "Retourné par \(crmName) (\(channel.label)) : \(reason.label)"
                + (item.note.map { " — « \($0) »" } ?? "")
            summary += status == .accepted ? ". Accepté automatiquement (doublon vérifié)." : ". À décider."
            if overCap { summary += " Au-delà du plafond mensuel de retours (\(cap) %)." }
            try await LeadWriter.insertEvent(
                leadId: item.leadId, organizationId: item.organizationId, kind: "returned", summary: summary,
                userEmail: requester.scope?.userEmail, at: now, on: tx as! any SQLDatabase)
            try await ActivityService.record(
                .create, organizationId: item.organizationId, userId: requester.scope?.userId,
                userEmail: requester.scope?.userEmail ?? requester.label, objectType: "lead", objectId: item.leadId,
                summary: "Retour du lead \(FrenchPhone.masked(lead.phone)) par \(crmName) : \(reason.label)",
                ip: requester.scope?.ip, at: now, on: tx)
        }
        return item
    }

    /// A duplicate the hub can see: another lead of the same phone and product delivered to the
    /// same CRM in the 90 days before, or the CRM itself answered "doublon" at delivery.
    static func isVerifiedDuplicate(_ lead: Lead, crmId: UUID, on db: any Database) async throws -> Bool {
        if lead.status == LeadStatus.crmDuplicate.rawValue { return true }
        return try await Lead.query(on: db).filter(\.$organizationId == lead.organizationId)
            .filter(\.$phone == lead.phone).filter(\.$productType == lead.productType)
            .filter(\.$routedCrmId == crmId).filter(\.$status ~~ BillingService.billedStatuses)
            .filter(\.$id != lead.requireID()).filter(\.$createdAt < lead.createdAt)
            .filter(\.$createdAt >= lead.createdAt.addingTimeInterval(-90 * 86_400)).filter(\.$erasedAt == nil)
            .count() > 0
    }

    /// Accepts or refuses a return that waits (editors).
    static func decide(
        _ id: UUID?, accept: Bool, note rawNote: String?, scope: TenantScope, now: Date, on db: any Database
    )
        async throws -> LeadReturn
    {
        try scope.require(.edit)
        let item = try await scope.find(LeadReturn.self, id, on: db)
        guard item.status == .pending else {
            throw AppError.conflict(field: nil, message: "Ce retour a déjà été décidé (\(item.status.label)).")
        }
        let note = rawNote?.trimmedText.prefix(500).description
        if !accept, (note ?? "").isEmpty {
            throw FieldErrors(["note": ["Indiquez pourquoi le retour est refusé."]])
        }
        let status: ReturnStatus = accept ? .accepted : .refused
        item.statusRaw = status.rawValue
        item.decidedAt = now
        item.decidedBy = scope.userEmail
        item.decisionNote = (note ?? "").isEmpty ? nil : note
        try await db.transaction { tx in
            try await item.save(on: tx)
            try await (tx as! any SQLDatabase).update("leads").set("return_status", to: status.rawValue)
                .set("updated_at", to: now).where("id", .equal, item.leadId).run()
            try await LeadWriter.insertEvent(
                leadId: item.leadId, organizationId: item.organizationId, kind: "return_decided",
                summary: "Retour \(accept ? "accepté : un avoir est porté sur la facturation de sa période" : "refusé")"
                    + (item.decisionNote.map { " — « \($0) »" } ?? ""),
                userEmail: scope.userEmail, at: now, on: tx as! any SQLDatabase)
            try await ActivityService.record(
                .update, objectType: "lead", objectId: item.leadId,
                summary: "Retour \(accept ? "accepté" : "refusé") (\(item.reason.label))", scope: scope, at: now, on: tx
            )
        }
        return item
    }

    /// A new returns key for a CRM (admins), shown once; the previous one stops working.
    static func newKey(crmId: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws -> String {
        try scope.require(.manageCrms)
        let crm = try await scope.find(Crm.self, crmId, on: db)
        let key = Secrets.token(prefix: prefix, bytes: 32)
        crm.returnsKeyHash = Secrets.sha256Hex(key)
        crm.returnsKeyPrefix = String(key.prefix(12))
        try await db.transaction { tx in
            try await crm.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "crm", objectId: crm.id, summary: "Nouvelle clé de retours pour \(crm.name)",
                scope: scope, at: now, on: tx)
        }
        return key
    }

    /// The CRM a returns key belongs to.
    static func crm(forKey key: String, on db: any Database) async throws -> Crm? {
        guard key.hasPrefix(prefix) else { return nil }
        return try await Crm.query(on: db).filter(\.$returnsKeyHash == Secrets.sha256Hex(key)).first()
    }

    /// One line of a CSV file and what became of it.
    struct ImportLine: Content {
        let line: Int
        let ok: Bool
        let message: String
    }

    /// Returns from a CSV file (`;` or `,`): a header naming `lead_id` or `telephone`/`phone`,
    /// `raison`/`reason` and optionally `note`/`commentaire`, `produit`. Each line is one return,
    /// recorded or refused with its reason; nothing is half-written (each return is its own
    /// transaction).
    static func importCSV(_ text: String, scope: TenantScope, now: Date, on db: any Database) async throws
        -> [ImportLine]
    {
        try scope.require(.edit)
        let rows = CSVReader.rows(text)
        guard let header = rows.first?.map({ LeadSubmission.fold($0.trimmedText) }) else {
            throw FieldErrors(["file": ["Fichier vide."]])
        }
        func column(_ names: [String]) -> Int? { header.firstIndex { names.contains($0) } }
        let idColumn = column(["lead_id", "id", "lead"])
        let phoneColumn = column(["telephone", "phone", "tel"])
        guard idColumn != nil || phoneColumn != nil, let reasonColumn = column(["raison", "reason", "motif"]) else {
            throw FieldErrors([
                "file": ["En-tête attendu : lead_id (ou telephone) ; raison ; note (facultative)."]
            ])
        }
        let noteColumn = column(["note", "commentaire", "comment"])
        let productColumn = column(["produit", "product", "product_type"])
        guard rows.count <= 5_001 else { throw FieldErrors(["file": ["5 000 lignes au plus par fichier."]]) }
        var results: [ImportLine] = []
        for (index, row) in rows.enumerated().dropFirst() where !row.allSatisfy({ $0.trimmedText.isEmpty }) {
            func cell(_ column: Int?) -> String? { column.flatMap { $0 < row.count ? row[$0].trimmedText : nil } }
            let target = Target(
                leadId: cell(idColumn).flatMap { UUID(uuidString: $0) }, phone: cell(phoneColumn),
                productType: cell(productColumn))
            do {
                if target.leadId == nil, let raw = cell(idColumn), !raw.isEmpty, (cell(phoneColumn) ?? "").isEmpty {
                    throw FieldErrors(["lead_id": ["Identifiant de lead invalide : \(raw.prefix(40))."]])
                }
                let item = try await request(
                    target, reason: cell(reasonColumn), note: cell(noteColumn), channel: .csv,
                    requester: Requester(
                        organizationId: scope.organizationId, crmId: nil, label: scope.userEmail, scope: scope),
                    now: now, on: db)
                results.append(
                    ImportLine(
                        line: index + 1, ok: true,
                        message: item.status == .accepted
                            ? "Retour accepté (doublon vérifié)" : "Retour enregistré, à décider"))
            } catch let errors as FieldErrors {
                results.append(ImportLine(line: index + 1, ok: false, message: errors.summary))
            }
        }
        return results
    }
}

/// A small CSV reader: `;` or `,` (the header decides), double quotes, a UTF-8 BOM.
enum CSVReader {
    static func rows(_ raw: String) -> [[String]] {
        var text = raw
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let firstLine = text.prefix { $0 != "\n" && $0 != "\r" }
        let separator: Character =
            firstLine.filter { $0 == ";" }.count >= firstLine.filter { $0 == "," }.count ? ";" : ","
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = Array(text).makeIterator()
        var pending: Character? = nil
        while let char = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if char == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            field.append("\"")
                        } else {
                            quoted = false
                            pending = next
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(char)
                }
                continue
            }
            switch char {
            case "\"": quoted = true
            case separator:
                row.append(field)
                field = ""
            case "\n", "\r\n", "\r":
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            default: field.append(char)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
