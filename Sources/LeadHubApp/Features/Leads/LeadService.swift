import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// The filters of the leads list, the CSV export and `GET /api/admin/leads`.
struct LeadFilters: Content {
    var from: String?
    var to: String?
    var crmId: String?
    var accountId: String?
    var formId: String?
    var landingPageId: String?
    var productType: String?
    var status: String?
    var departement: String?
    var diffusionSourceId: String?
    var q: String?
    var archived: String?
    var sort: String?
    var dir: String?
    var cursor: String?
    var limit: Int?

    enum CodingKeys: String, CodingKey {
        case from, to, crmId = "crm_id", accountId = "account_id", formId = "form_id"
        case landingPageId = "landing_page_id", productType = "product_type", status, departement
        case diffusionSourceId = "diffusion_source_id", q, archived, sort, dir, cursor, limit
    }

    static let sortColumns = ["created": "created_at", "nom": "nom", "departement": "departement"]

    var sortKey: String { Self.sortColumns[sort ?? ""] != nil ? sort! : "created" }
    var descending: Bool { dir.map { $0 != "asc" } ?? true }
    var pageSize: Int { min(max(limit ?? 50, 1), 500) }
    var showsArchived: Bool { ["1", "true", "oui"].contains(archived ?? "") }

    /// The filters as query items, for links that keep them (pagination, export).
    var queryItems: [URLQueryItem] {
        let pairs: [(String, String?)] = [
            ("from", from), ("to", to), ("crm_id", crmId), ("account_id", accountId), ("form_id", formId),
            ("landing_page_id", landingPageId), ("product_type", productType), ("status", status),
            ("departement", departement), ("diffusion_source_id", diffusionSourceId), ("q", q), ("archived", archived),
            ("sort", sort), ("dir", dir),
        ]
        return pairs.compactMap { key, value in
            guard let value, !value.isEmpty else { return nil }
            return URLQueryItem(name: key, value: value)
        }
    }
}

enum LeadService {
    /// The visible leads matching the filters (no sort, no paging).
    static func filtered(_ filters: LeadFilters, scope: TenantScope, on db: any Database) throws -> QueryBuilder<Lead> {
        var errors = FieldErrors()
        var query = scope.query(Lead.self, on: db)
        query = filters.showsArchived ? query.filter(\.$archivedAt != nil) : query.filter(\.$archivedAt == nil)
        if let from = filters.from, !from.isEmpty {
            if let day = ParisDayRange(from) {
                query = query.filter(\.$createdAt >= day.start)
            } else {
                errors.add("from", "Date invalide (AAAA-MM-JJ).")
            }
        }
        if let to = filters.to, !to.isEmpty {
            if let day = ParisDayRange(to) {
                query = query.filter(\.$createdAt < day.end)
            } else {
                errors.add("to", "Date invalide (AAAA-MM-JJ).")
            }
        }
        func uuid(_ raw: String?, _ field: String) -> UUID?? {
            guard let raw, !raw.isEmpty else { return .none }
            guard let id = UUID(uuidString: raw) else {
                errors.add(field, "Identifiant invalide.")
                return .none
            }
            return .some(id)
        }
        if let id = uuid(filters.crmId, "crm_id") { query = query.filter(\.$crmId == id!) }
        if let id = uuid(filters.accountId, "account_id") { query = query.filter(\.$accountId == id!) }
        if let id = uuid(filters.formId, "form_id") { query = query.filter(\.$formId == id!) }
        if let id = uuid(filters.landingPageId, "landing_page_id") { query = query.filter(\.$landingPageId == id!) }
        if let id = uuid(filters.diffusionSourceId, "diffusion_source_id") {
            query = query.filter(\.$diffusionSourceId == id!)
        }
        if let product = filters.productType, !product.isEmpty {
            query = query.filter(\.$productType == product.uppercased())
        }
        if let status = filters.status, !status.isEmpty { query = query.filter(\.$status == status) }
        if let departement = filters.departement, !departement.isEmpty {
            query = query.filter(\.$departement == departement.uppercased())
        }
        if let text = filters.q?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            if case .success(let phone) = FrenchPhone.parse(text) {
                query = query.filter(\.$phone == phone.e164)
            } else {
                query = query.search(String(text.prefix(100)), in: ["nom", "prenom", "email", "phone"])
            }
        }
        try errors.throwIfAny()
        return query
    }

    /// One page, newest first by default, with a keyset cursor on (sort value, id).
    static func page(_ filters: LeadFilters, scope: TenantScope, on db: any Database) async throws
        -> (items: [Lead], nextCursor: String?)
    {
        let column = LeadFilters.sortColumns[filters.sortKey]!
        let direction: DatabaseQuery.Sort.Direction = filters.descending ? .descending : .ascending
        var query = try filtered(filters, scope: scope, on: db)
        if let cursor = filters.cursor, !cursor.isEmpty {
            guard let position = LeadCursor(cursor) else {
                throw FieldErrors(["cursor": ["Curseur de pagination invalide."]])
            }
            query = query.filter(.custom(position.after(column: column, descending: filters.descending)))
        }
        if column == "created_at" {
            query = query.sort(\.$createdAt, direction)
        } else {
            query = query.sort(
                .custom(SQLFunction("COALESCE", args: SQLColumn(column, table: "leads"), SQLLiteral.string(""))),
                direction)
        }
        query = query.sort(\.$id, direction)
        let rows = try await query.limit(filters.pageSize + 1).all()
        let page = Array(rows.prefix(filters.pageSize))
        let next = rows.count > filters.pageSize ? page.last.map { LeadCursor(lead: $0, column: column).encoded } : nil
        return (page, next)
    }

    struct Totals: Content {
        let total: Int
        let received: Int
        let duplicates: Int
    }

    static func totals(_ filters: LeadFilters, scope: TenantScope, on db: any Database) async throws -> Totals {
        let total = try await filtered(filters, scope: scope, on: db).count()
        let duplicates = try await filtered(filters, scope: scope, on: db).filter(
            \.$status == LeadStatus.duplicate.rawValue
        )
        .count()
        return Totals(total: total, received: total - duplicates, duplicates: duplicates)
    }

    // MARK: Changes

    /// Applies a partial change, re-validating the whole lead with the rules of intake.
    static func update(_ id: UUID?, body patch: [String: JSONValue], scope: TenantScope, now: Date, on db: any Database)
        async throws -> Lead
    {
        let lead = try await scope.find(Lead.self, id, on: db)
        try scope.require(.edit)
        guard lead.erasedAt == nil else {
            throw AppError.conflict(field: nil, message: "Les données de ce lead ont été effacées (RGPD).")
        }
        let editable = [
            "phone", "civilite", "nom", "prenom", "email", "code_postal", "departement", "ville", "adresse",
            "type_logement", "statut_occupant", "surface_habitable", "chauffage_actuel", "facture_electricite",
        ]
        var errors = FieldErrors()
        for key in patch.keys where !editable.contains(key) {
            errors.add(key, "Ce champ ne se modifie pas.")
        }
        try errors.throwIfAny()
        var current = body(of: lead)
        if patch["code_postal"] != nil && patch["departement"] == nil { current["departement"] = nil }
        for (key, value) in patch { current[key] = value }
        // A required field may not be emptied; a field the lead never had does not block other changes.
        let product = try await scope.query(ProductType.self, on: db).filter(\.$code == lead.productType).first()
        let stored = body(of: lead)
        let required = (product?.requiredFields ?? ["phone"]).compactMap(LeadField.init(rawValue:))
            .filter { $0 == .phone || stored[$0.rawValue] != nil }
        let valid: ValidatedLead
        switch LeadSubmission.validate(current, required: required) {
        case .success(let v): valid = v
        case .failure(let errors): throw errors
        }
        let before = stored
        lead.phone = valid.phone.e164
        lead.civilite = valid.civilite
        lead.nom = valid.nom
        lead.prenom = valid.prenom
        lead.email = valid.email
        lead.codePostal = valid.codePostal
        lead.departement = valid.departement
        lead.ville = valid.ville
        lead.adresse = valid.adresse
        lead.typeLogement = valid.typeLogement
        lead.statutOccupant = valid.statutOccupant
        lead.surfaceHabitable = valid.surfaceHabitable
        lead.chauffageActuel = valid.chauffageActuel
        lead.factureElectricite = valid.factureElectricite
        lead.updatedAt = now
        if LeadStatus(rawValue: lead.status)?.awaitsReview == true {
            // What still stops its release, with every field its product requires.
            let full = (product?.requiredFields ?? ["phone"]).compactMap(LeadField.init(rawValue:))
            let left = LeadSubmission.inspect(body(of: lead), required: full).errors
            lead.reviewErrorsJSON = left.isEmpty ? nil : JSONText.encode(left.messages)
        }
        let changed = editable.filter { before[$0] != body(of: lead)[$0] }
        guard !changed.isEmpty else { return lead }
        let labels = changed.map { LeadField(rawValue: $0)?.label ?? $0 }.joined(separator: ", ")
        try await db.transaction { tx in
            try await lead.save(on: tx)
            try await LeadWriter.insertEvent(
                leadId: try lead.requireID(), organizationId: lead.organizationId, kind: "edited",
                summary: "Modifié : \(labels)", userEmail: scope.userEmail, at: now, on: tx as! any SQLDatabase)
            try await ActivityService.record(
                .update, objectType: "lead", objectId: lead.id,
                summary: "Lead \(FrenchPhone.masked(lead.phone)) modifié (\(labels))", scope: scope, at: now, on: tx)
        }
        return lead
    }

    /// The lead as an intake body, to re-validate it after a change.
    static func body(of lead: Lead) -> [String: JSONValue] {
        var body: [String: JSONValue] = ["phone": .string(lead.phone)]
        let optional: [(String, String?)] = [
            ("civilite", lead.civilite), ("nom", lead.nom), ("prenom", lead.prenom), ("email", lead.email),
            ("code_postal", lead.codePostal), ("departement", lead.departement), ("ville", lead.ville),
            ("adresse", lead.adresse), ("type_logement", lead.typeLogement), ("statut_occupant", lead.statutOccupant),
            ("surface_habitable", lead.surfaceHabitable.map(String.init)), ("chauffage_actuel", lead.chauffageActuel),
            ("facture_electricite", lead.factureElectricite),
        ]
        for (key, value) in optional { if let value { body[key] = .string(value) } }
        return body
    }

    enum BulkAction: String, Codable, Sendable {
        /// `delete` is the first version's "supprimer": it archives (a lead is never deleted from the
        /// back office; only the RGPD erase, by an admin, removes personal data).
        case archive, unarchive, delete
    }

    /// Archives or restores several visible leads; returns how many were changed.
    static func bulk(_ action: BulkAction, ids: [UUID], scope: TenantScope, now: Date, on db: any Database) async throws
        -> Int
    {
        try scope.require(.edit)
        guard !ids.isEmpty else { return 0 }
        guard ids.count <= 1_000 else { throw FieldErrors(["ids": ["1 000 leads au plus par action."]]) }
        let leads = try await scope.query(Lead.self, on: db).filter(\.$id ~~ ids).all()
        guard !leads.isEmpty else { return 0 }
        let archiving = action != .unarchive
        try await db.transaction { tx in
            for lead in leads {
                lead.archivedAt = archiving ? (lead.archivedAt ?? now) : nil
                lead.updatedAt = now
                try await lead.save(on: tx)
                try await LeadWriter.insertEvent(
                    leadId: lead.id!, organizationId: lead.organizationId, kind: archiving ? "archive" : "unarchive",
                    summary: archiving ? (action == .delete ? "Supprimé (archivé)" : "Archivé") : "Désarchivé",
                    userEmail: scope.userEmail, at: now, on: tx as! any SQLDatabase)
            }
            try await ActivityService.record(
                .update, objectType: "lead", objectId: leads.count == 1 ? leads[0].id : nil,
                summary: "\(leads.count) lead(s) " + (archiving ? "archivé(s)" : "désarchivé(s)"), scope: scope,
                at: now, on: tx)
        }
        return leads.count
    }

    /// "Archiver les leads de plus de N mois" (admins, as in the first version): every visible
    /// lead received before `months` calendar months ago is archived; returns how many.
    static func archiveOlder(than months: Int?, scope: TenantScope, now: Date, on db: any Database) async throws -> Int
    {
        try scope.require(.manageOrganization)
        guard let months, (1...120).contains(months) else {
            throw FieldErrors(["months": ["Nombre de mois invalide : de 1 à 120."]])
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = FrenchFormat.parisTimeZone
        let cutoff = calendar.date(byAdding: .month, value: -months, to: now)!
        return try await db.transaction { tx in
            let ids = try await scope.query(Lead.self, on: tx).filter(\.$createdAt < cutoff).filter(
                \.$archivedAt == nil
            )
            .all(\.$id)
            for chunk in ids.chunked(500) {
                try await Lead.query(on: tx).filter(\.$organizationId == scope.organizationId).filter(\.$id ~~ chunk)
                    .set(\.$archivedAt, to: now).set(\.$updatedAt, to: now).update()
            }
            try await ActivityService.record(
                .update, objectType: "lead",
                summary: "\(ids.count) lead(s) de plus de \(months) mois archivé(s)", scope: scope, at: now, on: tx)
            return ids.count
        }
    }

    /// RGPD: erases a person's data, found by phone or e-mail, across the organization. The leads
    /// stay as anonymous rows (date, product, form, département, status) so that counts hold.
    static func erase(
        phone rawPhone: String?, email rawEmail: String?, scope: TenantScope, now: Date, on db: any Database
    )
        async throws -> Int
    {
        try scope.require(.manageOrganization)
        var errors = FieldErrors()
        var phone: String? = nil
        var email: String? = nil
        if let raw = rawPhone?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            switch FrenchPhone.parse(raw) {
            case .success(let parsed): phone = parsed.e164
            case .failure(let problem): errors.add("phone", problem.message)
            }
        }
        if let raw = rawEmail?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            if let normalized = EmailAddress.normalize(raw) {
                email = normalized
            } else {
                errors.add("email", "Adresse e-mail invalide.")
            }
        }
        if phone == nil && email == nil && errors.isEmpty {
            errors.add("phone", "Indiquez un numéro de téléphone ou une adresse e-mail.")
        }
        try errors.throwIfAny()
        let (byPhone, byEmail) = (phone, email)
        let who = [phone.map(FrenchPhone.masked), email.map { _ in "une adresse e-mail" }].compactMap { $0 }
            .joined(separator: " / ")
        let leads = try await Lead.query(on: db).filter(\.$organizationId == scope.organizationId)
            .group(.or) { group in
                if let byPhone { group.filter(\.$phone == byPhone) }
                if let byEmail { group.filter(\.$email == byEmail) }
            }.all()
        try await db.transaction { tx in
            for lead in leads {
                lead.phone = "effacé"
                for keyPath: ReferenceWritableKeyPath<Lead, String?> in [
                    \.civilite, \.nom, \.prenom, \.email, \.codePostal, \.ville, \.adresse, \.typeLogement,
                    \.statutOccupant, \.chauffageActuel, \.factureElectricite, \.sessionId, \.visitorId, \.gclid,
                    \.fbclid,
                    \.referrer, \.pageURL, \.consentText, \.consentURL, \.ip, \.userAgent,
                ] {
                    lead[keyPath: keyPath] = nil
                }
                lead.surfaceHabitable = nil
                lead.extra = [:]
                lead.submissionHash = "effacé"
                lead.erasedAt = now
                lead.updatedAt = now
                try await lead.save(on: tx)
                try await LeadWriter.insertEvent(
                    leadId: lead.id!, organizationId: lead.organizationId, kind: "erased",
                    summary: "Données personnelles effacées (RGPD)", userEmail: scope.userEmail, at: now,
                    on: tx as! any SQLDatabase)
            }
            try await ActivityService.record(
                .delete, objectType: "lead", summary: "RGPD : données de \(leads.count) lead(s) effacées (\(who))",
                scope: scope, at: now, on: tx)
        }
        return leads.count
    }
}

/// A position in a sorted leads list: the sort value and the id of the last row seen.
struct LeadCursor {
    let value: String
    let id: UUID

    init?(_ encoded: String) {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            let separator = text.lastIndex(of: "|"),
            let id = UUID(uuidString: String(text[text.index(after: separator)...]))
        else { return nil }
        value = String(text[..<separator])
        self.id = id
    }

    init(lead: Lead, column: String) {
        switch column {
        case "created_at": value = String(lead.createdAt.timeIntervalSince1970)
        case "nom": value = lead.nom ?? ""
        default: value = lead.departement ?? ""
        }
        id = lead.id!
    }

    var encoded: String { Secrets.base64URL(Data((value + "|" + id.uuidString).utf8)) }

    /// `(column, id) < (value, id)` (or `>`), written out for both databases.
    func after(column: String, descending: Bool) -> any SQLExpression {
        let op = descending ? "<" : ">"
        let columnExpression: any SQLExpression =
            column == "created_at"
            ? SQLColumn("created_at", table: "leads")
            : SQLFunction("COALESCE", args: SQLColumn(column, table: "leads"), SQLLiteral.string(""))
        let bound: any SQLExpression =
            column == "created_at"
            ? SQLBind(Date(timeIntervalSince1970: Double(value) ?? 0)) : SQLBind(value)
        return SQLGroupExpression(
            SQLList(
                [
                    SQLBinaryExpression(left: columnExpression, op: SQLRaw(op), right: bound),
                    SQLGroupExpression(
                        SQLList(
                            [
                                SQLBinaryExpression(left: columnExpression, op: SQLBinaryOperator.equal, right: bound),
                                SQLBinaryExpression(
                                    left: SQLColumn("id", table: "leads"), op: SQLRaw(op), right: SQLBind(id)),
                            ], separator: SQLRaw(" AND "))),
                ], separator: SQLRaw(" OR ")))
    }
}
