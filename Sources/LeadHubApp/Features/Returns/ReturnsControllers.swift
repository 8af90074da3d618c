import Fluent
import Foundation
import LeadHubCore
import Vapor

/// `POST /api/v1/returns`: a CRM returns a lead it bought, with its returns key (`lhr_…`).
struct ReturnsPublicController {
    struct Body: Decodable {
        var leadId: String?
        var phone: String?
        var productType: String?
        var reason: String?
        var note: String?

        enum CodingKeys: String, CodingKey {
            case leadId = "lead_id", phone, productType = "product_type", reason, note
        }
    }

    @Sendable func create(req: Request) async throws -> Response {
        guard let header = req.headers.first(name: .authorization) else {
            throw AppError.unauthorized("Clé de retours manquante : en-tête « Authorization: Token lhr_… ».")
        }
        let parts = header.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, ["token", "bearer"].contains(parts[0].lowercased()),
            let crm = try await ReturnService.crm(forKey: parts[1].trimmedText, on: req.db)
        else {
            throw AppError.unauthorized("Clé de retours inconnue ou remplacée.")
        }
        let body: Body
        do {
            body = try req.content.decode(Body.self)
        } catch {
            throw AppError.badRequest("Corps de requête illisible : JSON {lead_id ou phone, reason, note} attendu.")
        }
        var target = ReturnService.Target(phone: body.phone, productType: body.productType)
        if let raw = body.leadId?.trimmedText, !raw.isEmpty {
            guard let id = UUID(uuidString: raw) else {
                throw FieldErrors(["lead_id": ["Identifiant de lead invalide."]])
            }
            target.leadId = id
        }
        let item = try await ReturnService.request(
            target, reason: body.reason, note: body.note, channel: .crmAPI,
            requester: .init(organizationId: crm.organizationId, crmId: crm.id, label: crm.name, scope: nil),
            now: req.now, on: req.db)
        let lead = try await Lead.find(item.leadId, on: req.db)
        let response = Response(status: .created)
        try response.content.encode(LeadReturnDTO(item, lead: lead), as: .json)
        return response
    }
}

/// The admin API of « Retours ».
struct ReturnsAPIController {
    struct ListResponse: Content {
        let items: [LeadReturnDTO]
    }

    @Sendable func index(req: Request) async throws -> ListResponse {
        let scope = try req.tenantScope()
        var query = scope.query(LeadReturn.self, on: req.db)
        if let raw = req.query[String.self, at: "status"] {
            guard ReturnStatus(rawValue: raw) != nil else {
                throw FieldErrors(["status": ["Choisissez parmi pending, accepted et refused."]])
            }
            query = query.filter(\.$statusRaw == raw)
        }
        if let crm = req.query[UUID.self, at: "crm_id"] { query = query.filter(\.$crmId == crm) }
        let items = try await query.sort(\.$createdAt, .descending).limit(500).all()
        let leads = try await Lead.query(on: req.db).filter(\.$id ~~ items.map(\.leadId)).all()
        let byId = Dictionary(uniqueKeysWithValues: leads.map { ($0.id!, $0) })
        return ListResponse(items: items.map { LeadReturnDTO($0, lead: byId[$0.leadId]) })
    }

    struct Body: Content {
        var reason: String?
        var note: String?
    }

    /// `POST /api/admin/leads/{id}/return`: on the CRM's behalf.
    @Sendable func create(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let lead = try await scope.find(Lead.self, req.id("lead_id"), on: req.db)
        let body = (try? req.content.decode(Body.self)) ?? Body()
        let item = try await ReturnService.request(
            .init(leadId: lead.id), reason: body.reason, note: body.note, channel: .admin,
            requester: .init(organizationId: scope.organizationId, crmId: nil, label: scope.userEmail, scope: scope),
            now: req.now, on: req.db)
        let response = Response(status: .created)
        try response.content.encode(LeadReturnDTO(item, lead: lead), as: .json)
        return response
    }

    @Sendable func accept(req: Request) async throws -> LeadReturnDTO {
        try await decide(req, accept: true)
    }

    @Sendable func refuse(req: Request) async throws -> LeadReturnDTO {
        try await decide(req, accept: false)
    }

    private func decide(_ req: Request, accept: Bool) async throws -> LeadReturnDTO {
        let body = (try? req.content.decode(Body.self)) ?? Body()
        let item = try await ReturnService.decide(
            req.id("return_id"), accept: accept, note: body.note, scope: try req.tenantScope(), now: req.now,
            on: req.db)
        return LeadReturnDTO(item, lead: try await Lead.find(item.leadId, on: req.db))
    }

    struct ImportResponse: Content {
        let lines: [ReturnService.ImportLine]
        let recorded: Int
        let refused: Int
    }

    /// `POST /api/admin/returns/import`: a CSV file as the body (`text/csv`).
    @Sendable func importCSV(req: Request) async throws -> ImportResponse {
        guard let buffer = req.body.data, buffer.readableBytes > 0 else {
            throw FieldErrors(["file": ["Fichier vide."]])
        }
        let lines = try await ReturnService.importCSV(
            String(decoding: buffer.readableBytesView, as: UTF8.self), scope: try req.tenantScope(), now: req.now,
            on: req.db)
        return ImportResponse(
            lines: lines, recorded: lines.filter(\.ok).count, refused: lines.filter { !$0.ok }.count)
    }

    struct KeyResponse: Content { let key: String }

    /// `POST /api/admin/crms/{id}/returns-key` (admins): a new key, shown once.
    @Sendable func newKey(req: Request) async throws -> KeyResponse {
        KeyResponse(
            key: try await ReturnService.newKey(
                crmId: req.id("crm_id"), scope: try req.tenantScope(), now: req.now, on: req.db))
    }
}

/// The page « Retours »: what waits for a decision, what was decided, the CSV import and the
/// CRMs' returns keys.
struct ReturnsPagesController {
    struct Row: Encodable {
        let id: String
        let leadId: String
        let when: String
        let crm: String
        let lead: String
        let reason: String
        let note: String
        let channel: String
        let status: String
        let statusClass: String
        let overCap: Bool
        let credit: String
        let decision: String
        let pending: Bool
    }

    struct KeyRow: Encodable {
        let id: String
        let name: String
        let prefix: String?
    }

    struct Tab: Encodable {
        let label: String
        let href: String
        let active: Bool
    }

    struct Context: Encodable {
        let rows: [Row]
        let tabs: [Tab]
        let canEdit: Bool
        let canManageKeys: Bool
        let keys: [KeyRow]
        let newKey: String?
        let newKeyCrm: String?
        let importLines: [ReturnService.ImportLine]
        let reasons: [SelectOption]
        let windowDays: Int
        let capPercent: Int
    }

    @Sendable func index(req: Request) async throws -> Response {
        try await render(req, newKey: nil, newKeyCrm: nil, importLines: [])
    }

    func render(_ req: Request, newKey: String?, newKeyCrm: String?, importLines: [ReturnService.ImportLine])
        async throws -> Response
    {
        let scope = try req.tenantScope()
        let status = req.query[String.self, at: "status"].flatMap(ReturnStatus.init(rawValue:))
        var query = scope.query(LeadReturn.self, on: req.db)
        if let status { query = query.filter(\.$statusRaw == status.rawValue) }
        let items = try await query.sort(\.$createdAt, .descending).limit(500).all()
        let leads = try await Lead.query(on: req.db).filter(\.$id ~~ items.map(\.leadId)).all()
        let byId = Dictionary(uniqueKeysWithValues: leads.map { ($0.id!, $0) })
        let crms = try await scope.query(Crm.self, on: req.db).sort(\.$name).all()
        let names = Dictionary(uniqueKeysWithValues: crms.map { ($0.id!, $0.name) })
        let rows = items.map { item in
            let lead = byId[item.leadId]
            let person = [lead?.prenom, lead?.nom].compactMap { $0 }.joined(separator: " ")
            return Row(
                id: item.id!.uuidString, leadId: item.leadId.uuidString, when: FrenchFormat.dateTime(item.createdAt),
                crm: names[item.crmId] ?? "—",
                lead: (person.isEmpty ? "" : person + " · ") + (lead.map { displayPhone($0.phone) } ?? "—"),
                reason: item.reason.label, note: item.note ?? "",
                channel: ReturnService.Channel(rawValue: item.channel)?.label ?? item.channel,
                status: item.status.label, statusClass: "return-" + item.statusRaw, overCap: item.overCap,
                credit: lead?.unitPriceCents.map { FrenchFormat.euros(Double($0) / 100) } ?? "—",
                decision: [item.decidedBy, item.decisionNote].compactMap { $0 }.joined(separator: " — "),
                pending: item.status == .pending)
        }
        var tabs = [Tab(label: "Tous", href: "/returns", active: status == nil)]
        for state in ReturnStatus.allCases {
            tabs.append(Tab(label: state.label, href: "/returns?status=\(state.rawValue)", active: status == state))
        }
        let organization = try await Organization.find(scope.organizationId, on: req.db)
        return try await req.renderPage(
            "returns/index", title: "Retours",
            Context(
                rows: rows, tabs: tabs, canEdit: scope.role.allows(.edit),
                canManageKeys: scope.role.allows(.manageCrms),
                keys: crms.map { KeyRow(id: $0.id!.uuidString, name: $0.name, prefix: $0.returnsKeyPrefix) },
                newKey: newKey, newKeyCrm: newKeyCrm, importLines: importLines,
                reasons: ReturnReason.allCases.map {
                    SelectOption(value: $0.rawValue, label: $0.label, selected: false)
                },
                windowDays: organization?.returnWindowDays ?? ReturnRules.defaultWindowDays,
                capPercent: organization?.returnCapPercent ?? ReturnRules.defaultCapPercent))
    }

    struct DecideForm: Content {
        var action: String?
        var note: String?
    }

    @Sendable func decide(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try req.content.decode(DecideForm.self)
        do {
            _ = try await ReturnService.decide(
                req.id("return_id"), accept: form.action == "accept", note: form.note, scope: scope, now: req.now,
                on: req.db)
            return req.redirect(
                to: "/returns",
                flash: form.action == "accept" ? "Retour accepté : avoir porté en facturation." : "Retour refusé.")
        } catch let errors as FieldErrors {
            return req.redirect(to: "/returns", flash: errors.summary, error: true)
        } catch let error as AppError {
            if case .conflict(_, let message) = error {
                return req.redirect(to: "/returns", flash: message, error: true)
            }
            throw error
        }
    }

    struct LeadForm: Content {
        var reason: String?
        var note: String?
    }

    /// « Déclarer un retour » on a lead's page.
    @Sendable func createForLead(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let lead = try await scope.find(Lead.self, req.id("lead_id"), on: req.db)
        let form = try req.content.decode(LeadForm.self)
        let back = "/leads/\(lead.id!.uuidString)"
        do {
            let item = try await ReturnService.request(
                .init(leadId: lead.id), reason: form.reason, note: form.note, channel: .admin,
                requester: .init(
                    organizationId: scope.organizationId, crmId: nil, label: scope.userEmail, scope: scope),
                now: req.now, on: req.db)
            return req.redirect(
                to: back,
                flash: item.status == .accepted
                    ? "Retour accepté automatiquement (doublon vérifié)."
                    : "Retour enregistré : il attend une décision.")
        } catch let errors as FieldErrors {
            return req.redirect(to: back, flash: errors.summary, error: true)
        }
    }

    struct ImportForm: Content {
        var file: File?
    }

    @Sendable func importCSV(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try req.content.decode(ImportForm.self)
        guard let file = form.file, file.data.readableBytes > 0 else {
            return req.redirect(to: "/returns", flash: "Choisissez un fichier CSV.", error: true)
        }
        do {
            let lines = try await ReturnService.importCSV(
                String(decoding: file.data.readableBytesView, as: UTF8.self), scope: scope, now: req.now, on: req.db)
            return try await render(req, newKey: nil, newKeyCrm: nil, importLines: lines)
        } catch let errors as FieldErrors {
            return req.redirect(to: "/returns", flash: errors.summary, error: true)
        }
    }

    struct KeyForm: Content {
        var crmId: UUID?
        enum CodingKeys: String, CodingKey { case crmId = "crm_id" }
    }

    @Sendable func newKey(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try req.content.decode(KeyForm.self)
        let key = try await ReturnService.newKey(crmId: form.crmId, scope: scope, now: req.now, on: req.db)
        let crm = try await scope.find(Crm.self, form.crmId, on: req.db)
        return try await render(req, newKey: key, newKeyCrm: crm.name, importLines: [])
    }
}
