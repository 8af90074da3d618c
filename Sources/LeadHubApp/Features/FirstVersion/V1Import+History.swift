import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// The first version's history: invoiced periods, comments, the activity log, its alerts, and
/// its image library (kept by URL).
extension V1Importer {
    /// `billing_history` `{year, month, from_crm_id (the origin CRM, who pays), to_crm_id (the CRM
    /// that received the leads and invoices), amount, lead_count}` → invoiced periods.
    func importBilling(on db: any Database) async throws {
        let name = "billing_history"
        try await forEachDocument(name) { doc in
            guard let id = Self.oldId(doc) else { return report.skip(name, nil, "facturation sans id") }
            guard let from = link("crms", Self.text(doc["from_crm_id"]))?.newId,
                let to = link("crms", Self.text(doc["to_crm_id"]))?.newId
            else { return report.skip(name, id, "CRM inconnu (from_crm_id ou to_crm_id)") }
            let period: (from: String, to: String)
            if let year = Self.text(doc["year"]).flatMap({ Int($0) }),
                let month = Self.text(doc["month"]).flatMap({ Int($0) }),
                (1...12).contains(month), let first = ParisDay.start(of: String(format: "%04d-%02d-01", year, month))
            {
                period = BillingPeriod.month(containing: first.addingTimeInterval(3_600))
            } else if let start = ISODate.parse(doc["period_start"]), let end = ISODate.parse(doc["period_end"]) {
                period = (ParisDay.text(start), ParisDay.text(end))
            } else {
                return report.skip(name, id, "période illisible")
            }
            let fingerprint = Self.fingerprint(doc)
            let change = self.change(name, id, fingerprint)
            if case .unchanged = change { return counted(name, change) }
            var invoice = BillingInvoice()
            if case .update(let existing) = change, let found = try await BillingInvoice.find(existing, on: db) {
                invoice = found
            }
            invoice.organizationId = organizationId
            invoice.fromCrmId = from
            invoice.toCrmId = to
            invoice.periodFrom = period.from
            invoice.periodTo = period.to
            invoice.leadCount = Int(Self.text(doc["lead_count"]) ?? "") ?? 0
            invoice.amountCents = Int(((Double(Self.text(doc["amount"]) ?? "") ?? 0) * 100).rounded())
            invoice.notes =
                Self.text(doc["notes"]).map { "\($0) (première version)" } ?? "Importé de la première version"
            invoice.userEmail = Self.text(doc["invoiced_by"]).flatMap { usersByOldId[$0]?.email } ?? "import-v1"
            invoice.createdAt = ISODate.parse(doc["invoiced_at"]) ?? ISODate.parse(doc["created_at"]) ?? now
            try await invoice.save(on: db)
            remember(name, id, try invoice.requireID(), fingerprint)
            counted(name, change)
        }
    }

    func importComments(on db: any Database) async throws {
        let name = "comments"
        try await forEachDocument(name) { doc in
            guard let id = Self.oldId(doc) else { return report.skip(name, nil, "commentaire sans id") }
            guard let body = Self.text(doc["content"]) ?? Self.text(doc["body"]) else {
                return report.skip(name, id, "commentaire vide")
            }
            let entity = Self.text(doc["entity_type"]) ?? ""
            let target: (String, UUID)?
            switch entity {
            case "lp", "landing_page":
                target = link("lps", Self.text(doc["entity_id"])).map { ("landing_page", $0.newId) }
            case "form": target = link("forms", Self.text(doc["entity_id"])).map { ("form", $0.newId) }
            default: target = nil
            }
            guard let (type, targetId) = target else {
                return report.skip(name, id, "objet commenté inconnu (\(entity) \(Self.text(doc["entity_id"]) ?? "?"))")
            }
            let fingerprint = Self.fingerprint(doc)
            let change = self.change(name, id, fingerprint)
            if case .unchanged = change { return counted(name, change) }
            var comment = PageComment()
            if case .update(let existing) = change, let found = try await PageComment.find(existing, on: db) {
                comment = found
            }
            let author = Self.text(doc["user_id"]).flatMap { usersByOldId[$0] }
            comment.organizationId = organizationId
            comment.targetType = type
            comment.targetId = targetId
            comment.userId = author?.id
            comment.userName =
                author?.name ?? Self.text(doc["user_name"]) ?? Self.text(doc["user_email"]) ?? "Première version"
            comment.body = String(body.prefix(5_000))
            comment.createdAt = ISODate.parse(doc["created_at"]) ?? now
            try await comment.save(on: db)
            remember(name, id, try comment.requireID(), fingerprint)
            counted(name, change)
        }
    }

    func importActivity(on db: any Database) async throws {
        let name = "activity_logs"
        let known: [String: String] = [
            "login": "login", "logout": "logout", "create": "create", "update": "update", "delete": "delete",
        ]
        let objects: [String: String] = [
            "lp": "lps", "form": "forms", "account": "accounts", "crm": "crms", "user": "users",
        ]
        try await forEachDocument(name) { doc in
            guard let id = Self.oldId(doc) else { return report.skip(name, nil, "entrée sans id") }
            let fingerprint = Self.fingerprint(doc)
            let change = self.change(name, id, fingerprint)
            if case .unchanged = change { return counted(name, change) }
            var entry = ActivityEntry()
            if case .update(let existing) = change, let found = try await ActivityEntry.find(existing, on: db) {
                entry = found
            }
            let action = Self.text(doc["action"]) ?? "update"
            let type = Self.text(doc["entity_type"])
            entry.organizationId = organizationId
            entry.userId = Self.text(doc["user_id"]).flatMap { usersByOldId[$0]?.id }
            entry.userEmail = Self.text(doc["user_email"])
            entry.action = known[action] ?? "update"
            entry.objectType = type
            entry.objectId = type.flatMap { objects[$0] }.flatMap { link($0, Self.text(doc["entity_id"]))?.newId }
            let details = Self.text(doc["details"]) ?? ""
            entry.summary = String(
                ("[Première version" + (known[action] == nil ? " : \(action)" : "") + "] " + details).prefix(1_000))
            entry.ip = Self.text(doc["ip"])
            entry.createdAt = ISODate.parse(doc["created_at"]) ?? now
            try await entry.save(on: db)
            remember(name, id, try entry.requireID(), fingerprint)
            counted(name, change)
        }
    }

    /// The first version's alerts are history: kept resolved (LeadHub watches its own conditions).
    func importAlerts(on db: any Database) async throws {
        let name = "system_alerts"
        try await forEachDocument(name) { doc in
            guard let id = Self.oldId(doc) else { return report.skip(name, nil, "alerte sans id") }
            let fingerprint = Self.fingerprint(doc)
            let change = self.change(name, id, fingerprint)
            if case .unchanged = change { return counted(name, change) }
            var alert = Alert()
            if case .update(let existing) = change, let found = try await Alert.find(existing, on: db) { alert = found }
            let created = ISODate.parse(doc["created_at"]) ?? now
            let resolved = doc["resolved"]?.bool ?? false
            alert.organizationId = organizationId
            alert.key = "v1:" + id
            alert.level = (Self.text(doc["level"]) ?? "").lowercased() == "critical" ? "critical" : "warning"
            alert.category = Self.text(doc["category"]) ?? "premiere_version"
            alert.message = String((Self.text(doc["message"]) ?? "Alerte de la première version").prefix(500))
            alert.details = doc["details"].map { $0.text ?? $0.canonical } ?? "{}"
            alert.firstSeenAt = created
            alert.lastSeenAt = created
            alert.count = 1
            alert.resolvedAt = ISODate.parse(doc["resolved_at"]) ?? (resolved ? created : now)
            alert.resolvedBy = resolved ? (Self.text(doc["resolved_by"]) ?? "première version") : "import-v1"
            if !resolved {
                report.alter(name, id, "alerte ouverte dans la première version : close à l'import (historique)")
            }
            try await alert.save(on: db)
            remember(name, id, try alert.requireID(), fingerprint)
            counted(name, change)
        }
    }

    /// Images of the first version are URLs (nothing was uploaded): an account's become its named
    /// images (external, shown and briefed as such); global ones are listed in the report.
    func importAssets(on db: any Database) async throws {
        let name = "assets"
        try await forEachDocument(name) { doc in
            let id = Self.oldId(doc) ?? "?"
            guard let url = Self.text(doc["url"]), Check.isHTTPURL(url) else {
                return report.skip(name, id, "image sans adresse http(s)")
            }
            let label = Self.text(doc["label"]) ?? "Image"
            guard let accountId = accountId(Self.text(doc["sub_account_id"]) ?? Self.text(doc["account_id"])),
                let account = accounts[accountId]
            else {
                return report.skip(
                    name, id, "image globale externe « \(label) » (\(url)) : à téléverser dans la médiathèque si besoin"
                )
            }
            let fingerprint = Self.fingerprint(doc)
            let change = self.change(name, id, fingerprint)
            var images = account.images
            if !images.contains(where: { $0.url == url }) {
                images.append(NamedURL(name: label, url: url))
                account.images = images
                try await account.save(on: db)
            }
            remember(name, id, accountId, fingerprint)
            counted(name, change)
        }
    }
}
