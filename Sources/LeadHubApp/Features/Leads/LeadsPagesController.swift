import Fluent
import Foundation
import LeadHubCore
import Vapor

struct LeadsPagesController {
    struct Row: Encodable {
        let id: String
        let date: String
        let phone: String
        let name: String
        let email: String?
        let departement: String?
        let productType: String
        let formCode: String
        let lpCode: String?
        let account: String
        let status: String
        let statusClass: String
        let archived: Bool
    }

    /// One lead as the lists show it (leads list, dashboard).
    static func row(_ lead: Lead, accountNames: [UUID: String]) -> Row {
        Row(
            id: lead.id!.uuidString, date: FrenchFormat.dateTime(lead.createdAt),
            phone: lead.erasedAt == nil ? displayPhone(lead.phone) : "effacé",
            name: [lead.prenom, lead.nom].compactMap { $0 }.joined(separator: " "), email: lead.email,
            departement: lead.departement, productType: lead.productType, formCode: lead.formCode,
            lpCode: lead.lpCode, account: accountNames[lead.accountId] ?? "—",
            status: LeadStatus(rawValue: lead.status)?.label ?? lead.status, statusClass: lead.status,
            archived: lead.archivedAt != nil)
    }

    struct IndexContext: Encodable {
        let rows: [Row]
        let totals: String
        let duplicates: Int
        let filters: FilterValues
        let crmOptions: [SelectOption]
        let accountOptions: [SelectOption]
        let formOptions: [SelectOption]
        let productOptions: [SelectOption]
        let statusOptions: [SelectOption]
        let sourceOptions: [SelectOption]
        let next: String?
        let first: String?
        let exportURL: String
        let sortLinks: [String: String]
        let canEdit: Bool
        let canErase: Bool
        let isEmpty: Bool
        let isFiltered: Bool
        let showsArchived: Bool
    }

    struct FilterValues: Encodable {
        let from: String
        let to: String
        let q: String
        let departement: String
    }

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        var filters = try req.query.decode(LeadFilters.self)
        if filters.crmId == nil, let crm = req.crmFilter { filters.crmId = crm.uuidString }
        let page = try await LeadService.page(filters, scope: scope, on: req.db)
        let totals = try await LeadService.totals(filters, scope: scope, on: req.db)
        let accounts = try await scope.query(Account.self, on: req.db).sort(\.$name).all()
        let accountNames = Dictionary(uniqueKeysWithValues: accounts.map { ($0.id!, $0.name) })
        let rows = page.items.map { Self.row($0, accountNames: accountNames) }
        func link(_ change: (inout LeadFilters) -> Void) -> String {
            var copy = filters
            change(&copy)
            var components = URLComponents()
            components.path = "/leads"
            let items = copy.queryItems + (copy.cursor.map { [URLQueryItem(name: "cursor", value: $0)] } ?? [])
            components.queryItems = items.isEmpty ? nil : items
            return components.string ?? "/leads"
        }
        let crms = try await scope.query(Crm.self, on: req.db).sort(\.$name).all()
        let forms = try await scope.query(Form.self, on: req.db).sort(\.$code).all()
        let products = try await scope.query(ProductType.self, on: req.db).sort(\.$code).all()
        let sources = try await scope.query(DiffusionSource.self, on: req.db).sort(\.$name).all()
        var sortLinks: [String: String] = [:]
        for key in LeadFilters.sortColumns.keys {
            sortLinks[key] = link {
                $0.cursor = nil
                $0.dir = ($0.sortKey == key && $0.descending) ? "asc" : "desc"
                $0.sort = key
            }
        }
        let context = IndexContext(
            rows: rows,
            totals: FrenchFormat.integer(totals.total), duplicates: totals.duplicates,
            filters: FilterValues(
                from: filters.from ?? "", to: filters.to ?? "", q: filters.q ?? "",
                departement: filters.departement ?? ""),
            crmOptions: crms.map {
                SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id!.uuidString == filters.crmId)
            },
            accountOptions: accounts.map {
                SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id!.uuidString == filters.accountId)
            },
            formOptions: forms.map {
                SelectOption(
                    value: $0.id!.uuidString, label: "\($0.code) — \($0.name)",
                    selected: $0.id!.uuidString == filters.formId)
            },
            productOptions: products.map {
                SelectOption(value: $0.code, label: $0.code, selected: $0.code == filters.productType)
            },
            statusOptions: LeadStatus.allCases.map {
                SelectOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == filters.status)
            },
            sourceOptions: sources.map {
                SelectOption(
                    value: $0.id!.uuidString, label: $0.name, selected: $0.id!.uuidString == filters.diffusionSourceId)
            },
            next: page.nextCursor.map { cursor in link { $0.cursor = cursor } },
            first: filters.cursor == nil ? nil : link { $0.cursor = nil },
            exportURL: "/leads/export.csv"
                + (link { $0.cursor = nil }.split(separator: "?", maxSplits: 1).dropFirst().first.map { "?" + $0 } ?? ""),
            sortLinks: sortLinks, canEdit: scope.role.allows(.edit), canErase: scope.role.allows(.manageOrganization),
            isEmpty: rows.isEmpty, isFiltered: !filters.queryItems.isEmpty, showsArchived: filters.showsArchived)
        return try await req.renderPage(filters.showsArchived ? "leads/index" : "leads/index", title: "Leads", context)
    }

    struct Field: Encodable {
        let name: String
        let label: String
        let value: String
        var error: String? = nil
    }

    struct Event: Encodable {
        let when: String
        let summary: String
        let who: String?
    }

    struct ReviewBox: Encodable {
        let reason: String
        let errors: [Field]
        let needsConsent: Bool
        let rejected: Bool
        let canAct: Bool
    }

    struct ReturnBox: Encodable {
        /// The return's state when it was returned.
        let status: String?
        let statusClass: String?
        let detail: String?
        let canDeclare: Bool
        let reasons: [SelectOption]
    }

    struct ShowContext: Encodable {
        let returned: ReturnBox?
        let review: ReviewBox?
        let qualityScore: String?
        let qualityTone: String
        let qualityReasons: [Field]
        let id: String
        let title: String
        let status: String
        let statusClass: String
        let duplicateOf: String?
        let erased: Bool
        let archived: Bool
        let fields: [Field]
        let extra: [Field]
        let attribution: [Field]
        let consent: [Field]
        let placement: [Field]
        let events: [Event]
        let routing: [Field]
        let delivery: [Field]
        let deliveryStatus: String?
        let deliveryLabel: String?
        let canRetry: Bool
        let canForce: Bool
        let crmOptions: [SelectOption]
        let errors: FormErrors
        let canEdit: Bool
    }

    struct DeliveryForm: Content {
        var action: String?
        var crmId: UUID?

        enum CodingKeys: String, CodingKey {
            case action, crmId = "crm_id"
        }
    }

    /// "Relancer" and "Envoyer vers…" on a lead.
    @Sendable func delivery(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let lead = try await scope.find(Lead.self, req.id("lead_id"), on: req.db)
        let form = try req.content.decode(DeliveryForm.self)
        let back = "/leads/\(lead.id!.uuidString)"
        do {
            switch form.action {
            case "retry":
                _ = try await QueueService.retryLatest(ofLead: lead.id, scope: scope, now: req.now, on: req.db)
                req.application.deliveryWorker.wake()
                return req.redirect(to: back, flash: "Livraison relancée : elle part dans quelques instants.")
            case "force":
                _ = try await QueueService.forceSend(
                    leadId: lead.id, crmId: form.crmId, scope: scope, now: req.now, on: req.db)
                req.application.deliveryWorker.wake()
                return req.redirect(to: back, flash: "Envoi forcé programmé.")
            default:
                throw AppError.badRequest("Action inconnue.")
            }
        } catch let error as AppError {
            if case .conflict(_, let message) = error { return req.redirect(to: back, flash: message, error: true) }
            throw error
        } catch let errors as FieldErrors {
            return req.redirect(to: back, flash: errors.summary, error: true)
        }
    }

    static func qualityTone(_ score: Int?, policy: IntakePolicy) -> String {
        guard let score else { return "neutral" }
        if score >= policy.rejectThreshold { return "bad" }
        if score >= policy.holdThreshold { return "warn" }
        return "good"
    }

    struct ReviewRow: Encodable {
        let id: String
        let when: String
        let name: String
        let phone: String
        let formCode: String
        let status: String
        let statusClass: String
        let reason: String
        let details: [String]
        let score: String
    }

    struct ReviewTab: Encodable {
        let label: String
        let href: String
        let count: Int
        let active: Bool
    }

    struct ReviewContext: Encodable {
        let rows: [ReviewRow]
        let tabs: [ReviewTab]
        let canEdit: Bool
        let rejectedView: Bool
    }

    /// « À vérifier »: the kept leads that wait for a person, oldest first, with why.
    @Sendable func review(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let raw = req.query[String.self, at: "status"]
        let status = raw.flatMap(LeadStatus.init(rawValue:)).flatMap { $0.awaitsReview || $0 == .rejected ? $0 : nil }
        let page = try await LeadReview.queue(status: status, scope: scope, on: req.db)
        let rows = page.leads.map { lead in
            let errors = LeadReview.reviewErrors(of: lead).sorted { $0.key < $1.key }.map {
                "\(LeadField(rawValue: $0.key)?.label ?? $0.key) : \($0.value.joined(separator: " "))"
            }
            let signals = LeadReview.qualitySignals(of: lead).map { "\($0.label) (+\($0.points))" }
            return ReviewRow(
                id: lead.id!.uuidString, when: FrenchFormat.dateTime(lead.createdAt),
                name: [lead.prenom, lead.nom].compactMap { $0 }.joined(separator: " "),
                phone: lead.phone.isEmpty ? (lead.email ?? "—") : displayPhone(lead.phone), formCode: lead.formCode,
                status: LeadStatus(rawValue: lead.status)?.label ?? lead.status, statusClass: lead.status,
                reason: LeadReview.reason(of: lead), details: errors + signals,
                score: lead.qualityScore.map(String.init) ?? "—")
        }
        let waiting = LeadStatus.awaitingReview.reduce(0) { $0 + (page.counts[$1] ?? 0) }
        var tabs = [ReviewTab(label: "Tout", href: "/leads/review", count: waiting, active: status == nil)]
        for state in LeadStatus.awaitingReview + [.rejected] {
            tabs.append(
                ReviewTab(
                    label: state.label, href: "/leads/review?status=\(state.rawValue)", count: page.counts[state] ?? 0,
                    active: status == state))
        }
        return try await req.renderPage(
            "leads/review", title: "À vérifier",
            ReviewContext(
                rows: rows, tabs: tabs, canEdit: scope.role.allows(.edit), rejectedView: status == .rejected))
    }

    struct ReviewForm: Content {
        var action: String?
        var reason: String?
        var note: String?
        var consentObtained: String?
        var back: String?

        enum CodingKeys: String, CodingKey {
            case action, reason, note, consentObtained = "consent_obtained", back
        }
    }

    /// « Libérer » and « Rejeter », from the lead page and the queue.
    @Sendable func reviewAction(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let lead = try await scope.find(Lead.self, req.id("lead_id"), on: req.db)
        let form = try req.content.decode(ReviewForm.self)
        let page = "/leads/\(lead.id!.uuidString)"
        let back = AuthController.safeRedirect(form.back ?? page)
        do {
            switch form.action {
            case "release":
                let released = try await LeadReview.release(
                    lead.id, consentObtained: ["on", "true", "1"].contains(form.consentObtained ?? ""),
                    note: form.note, scope: scope, now: req.now, app: req.application, on: req.db)
                let sent = released.status == LeadStatus.received.rawValue
                return req.redirect(
                    to: back,
                    flash: sent
                        ? "Lead libéré : il est routé et part vers son CRM."
                        : "Lead libéré : aucun CRM ne le prend (voir le routage).")
            case "reject":
                _ = try await LeadReview.reject(lead.id, reason: form.reason, scope: scope, now: req.now, on: req.db)
                return req.redirect(to: back, flash: "Lead rejeté : il est conservé et ne sera jamais envoyé.")
            default:
                throw AppError.badRequest("Action inconnue.")
            }
        } catch let error as AppError {
            if case .conflict(_, let message) = error { return req.redirect(to: page, flash: message, error: true) }
            throw error
        } catch let errors as FieldErrors {
            return req.redirect(to: page, flash: "Impossible de libérer ce lead : " + errors.summary, error: true)
        }
    }

    @Sendable func show(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let lead = try await scope.find(Lead.self, req.id("lead_id"), on: req.db)
        return try await render(req, lead: lead, values: nil, errors: nil)
    }

    @Sendable func update(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let lead = try await scope.find(Lead.self, req.id("lead_id"), on: req.db)
        let form = try req.content.decode([String: String].self)
        var patch: [String: JSONValue] = [:]
        for field in LeadField.allCases where form[field.rawValue] != nil {
            patch[field.rawValue] = .string(form[field.rawValue]!)
        }
        switch try await attempt({
            try await LeadService.update(lead.id, body: patch, scope: scope, now: req.now, on: req.db)
        }) {
        case .success: return req.redirect(to: "/leads/\(lead.id!.uuidString)", flash: "Lead enregistré.")
        case .failure(let errors): return try await render(req, lead: lead, values: form, errors: errors)
        }
    }

    struct ActionForm: Content {
        var action: String?
        var ids: [String]?
        var back: String?
    }

    @Sendable func action(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try req.content.decode(ActionForm.self)
        guard let action = LeadService.BulkAction(rawValue: form.action ?? "") else {
            throw AppError.badRequest("Action inconnue.")
        }
        var ids = (form.ids ?? []).compactMap(UUID.init(uuidString:))
        if req.parameters.get("lead_id") != nil {
            ids = [try await scope.find(Lead.self, req.id("lead_id"), on: req.db).requireID()]
        }
        if ids.isEmpty { return req.redirect(to: "/leads", flash: "Aucun lead sélectionné.", error: true) }
        let changed = try await LeadService.bulk(action, ids: ids, scope: scope, now: req.now, on: req.db)
        let verb = ["archive": "archivé(s)", "unarchive": "désarchivé(s)", "delete": "archivé(s)"][action.rawValue]!
        let back = AuthController.safeRedirect(form.back ?? "/leads")
        return req.redirect(to: back, flash: "\(changed) lead(s) \(verb).")
    }

    struct ArchiveOlderForm: Content { var months: String? }

    /// "Archiver les leads de plus de N mois".
    @Sendable func archiveOlder(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let months = (try? req.content.decode(ArchiveOlderForm.self))?.months.flatMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        switch try await attempt({
            try await LeadService.archiveOlder(than: months, scope: scope, now: req.now, on: req.db)
        }) {
        case .success(let count): return req.redirect(to: "/leads", flash: "\(count) lead(s) archivé(s).")
        case .failure(let errors): return req.redirect(to: "/leads", flash: errors.summary, error: true)
        }
    }

    struct EraseContext: Encodable {
        let phone: String
        let email: String
        let errors: FormErrors
        let done: String?
    }

    struct EraseForm: Content {
        var phone: String?
        var email: String?
    }

    @Sendable func erasePage(req: Request) async throws -> Response {
        try req.tenantScope().require(.manageOrganization)
        return try await req.renderPage(
            "leads/erase", title: "Effacer les données personnelles",
            EraseContext(phone: "", email: "", errors: FormErrors(), done: nil))
    }

    @Sendable func erase(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try req.content.decode(EraseForm.self)
        switch try await attempt({
            try await LeadService.erase(phone: form.phone, email: form.email, scope: scope, now: req.now, on: req.db)
        }) {
        case .success(let count):
            return try await req.renderPage(
                "leads/erase", title: "Effacer les données personnelles",
                EraseContext(
                    phone: "", email: "", errors: FormErrors(),
                    done: count == 0
                        ? "Aucun lead ne correspond : rien n'a été effacé."
                        : "Données personnelles de \(count) lead(s) effacées. Les statistiques anonymes sont conservées."
                ))
        case .failure(let errors):
            return try await req.renderPage(
                "leads/erase", title: "Effacer les données personnelles",
                EraseContext(phone: form.phone ?? "", email: form.email ?? "", errors: FormErrors(errors), done: nil),
                status: .unprocessableEntity)
        }
    }

    /// The lead's events and its delivery attempts, in time order.
    private func timeline(_ events: [(Date, Event)], attempts: [(Date, Event)]) -> [Event] {
        (events + attempts).enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(
            \.element.1)
    }

    private func render(_ req: Request, lead: Lead, values: [String: String]?, errors: FieldErrors?) async throws
        -> Response
    {
        let scope = try req.tenantScope()
        let stored = LeadService.body(of: lead)
        let fields = LeadField.allCases.map { field in
            Field(
                name: field.rawValue, label: field.label,
                value: values?[field.rawValue]
                    ?? (field == .phone ? displayPhone(lead.phone) : stored[field.rawValue]?.text ?? ""),
                error: errors?.first(field.rawValue))
        }
        let extra = lead.extra.sorted { $0.key < $1.key }.map {
            Field(name: $0.key, label: $0.key, value: $0.value.text ?? "")
        }
        let attribution = LeadDTO(lead, delivery: nil).attribution.sorted { $0.key < $1.key }.map {
            Field(name: $0.key, label: $0.key, value: $0.value)
        }
        let consent = [
            Field(name: "consent_phone", label: "Consentement téléphone", value: lead.consentPhone ? "Oui" : "Non"),
            Field(name: "consent_email", label: "Consentement e-mail", value: lead.consentEmail ? "Oui" : "Non"),
            Field(name: "consent_text", label: "Texte affiché", value: lead.consentText ?? "—"),
            Field(name: "consent_url", label: "Page", value: lead.consentURL ?? "—"),
            Field(name: "consent_at", label: "Date", value: FrenchFormat.dateTime(lead.consentAt)),
            Field(name: "ip", label: "Adresse IP", value: lead.ip ?? "—"),
            Field(name: "user_agent", label: "Navigateur", value: lead.userAgent ?? "—"),
            Field(name: "consent_hash", label: "Empreinte du texte (SHA-256)", value: lead.consentHash ?? "—"),
            Field(
                name: "consent_partners_version", label: "Version de la liste des partenaires",
                value: lead.consentPartnersVersion ?? "—"),
        ]
        let form = try await Form.find(lead.formId, on: req.db)
        let account = try await Account.find(lead.accountId, on: req.db)
        let crm = try await Crm.find(lead.crmId, on: req.db)
        let page = try await lead.landingPageId.asyncMap { try await LandingPage.find($0, on: req.db) } ?? nil
        let source = try await lead.diffusionSourceId.asyncMap { try await DiffusionSource.find($0, on: req.db) } ?? nil
        let placement = [
            Field(name: "form", label: "Formulaire", value: form.map { "\($0.code) — \($0.name)" } ?? lead.formCode),
            Field(name: "product", label: "Produit", value: lead.productType),
            Field(name: "account", label: "Compte", value: account?.name ?? "—"),
            Field(name: "crm", label: "CRM d'origine", value: crm?.name ?? "—"),
            Field(
                name: "lp", label: "Landing page", value: page.map { "\($0.code) — \($0.name)" } ?? lead.lpCode ?? "—"),
            Field(name: "source", label: "Source de diffusion", value: source?.name ?? "—"),
            Field(name: "received", label: "Reçu le", value: FrenchFormat.dateTime(lead.createdAt)),
        ]
        // Intake does not write a "received" event: the lead row itself says when and how it came.
        let received = Event(
            when: FrenchFormat.dateTime(lead.createdAt),
            summary: LeadWriter.eventSummary(
                formCode: lead.formCode, productType: lead.productType,
                duplicate: lead.status == LeadStatus.duplicate.rawValue),
            who: nil)
        let events =
            try await [(lead.createdAt, received)]
            + scope.query(LeadEvent.self, on: req.db).filter(\.$leadId == lead.requireID()).sort(\.$createdAt).all()
            .map {
                ($0.createdAt, Event(when: FrenchFormat.dateTime($0.createdAt), summary: $0.summary, who: $0.userEmail))
            }
        let deliveries = try await scope.query(Delivery.self, on: req.db).filter(\.$leadId == lead.requireID())
            .sort(\.$createdAt).all()
        let latest = deliveries.last
        let crms = try await scope.query(Crm.self, on: req.db).sort(\.$name).all()
        func crmName(_ id: UUID?) -> String { id.flatMap { id in crms.first { $0.id == id }?.name } ?? "—" }
        let attempts = try await scope.query(DeliveryAttempt.self, on: req.db).filter(\.$leadId == lead.requireID())
            .sort(\.$startedAt).all()
        let attemptEvents = attempts.enumerated().map { index, attempt in
            let outcome = DeliveryStatus(rawValue: attempt.outcome)?.label ?? attempt.outcome
            let http = attempt.httpStatus.map { "HTTP \($0), " } ?? ""
            return (
                attempt.startedAt,
                Event(
                    when: FrenchFormat.dateTime(attempt.startedAt),
                    summary:
                        "Tentative \(index + 1) vers \(crmName(attempt.crmId)) : \(outcome) (\(http)\(attempt.durationMs) ms)"
                        + (attempt.excerpt.map { " — \($0)" } ?? ""), who: nil)
            )
        }
        let routing = [
            Field(name: "routed_crm", label: "CRM destinataire", value: crmName(lead.routedCrmId)),
            Field(name: "routing_reason", label: "Raison", value: lead.routingReason ?? "—"),
            Field(name: "routing_explanation", label: "Explication", value: lead.routingExplanation ?? "—"),
            Field(name: "rerouted", label: "Redirigé (facturable)", value: lead.rerouted ? "Oui" : "Non"),
            Field(
                name: "unit_price", label: "Prix unitaire",
                value: lead.unitPriceCents.map { FrenchFormat.euros(Double($0) / 100) } ?? "—"),
        ]
        var deliveryFields: [Field] = []
        if let latest {
            deliveryFields = [
                Field(name: "delivery_status", label: "État", value: latest.status.label),
                Field(name: "delivery_crm", label: "CRM", value: crmName(latest.crmId)),
                Field(name: "delivery_attempts", label: "Tentatives", value: String(latest.attempts)),
                Field(
                    name: "delivery_next", label: "Prochain essai",
                    value: latest.status.isWaiting ? latest.nextAttemptAt.map(FrenchFormat.dateTime) ?? "—" : "—"),
                Field(name: "delivery_error", label: "Dernière erreur", value: latest.lastError ?? "—"),
                Field(
                    name: "delivery_id", label: "Identifiant de livraison", value: latest.id!.uuidString.lowercased()),
            ]
        }
        let name = [lead.prenom, lead.nom].compactMap { $0 }.joined(separator: " ")
        let state = LeadStatus(rawValue: lead.status)
        let policy = try await Organization.find(lead.organizationId, on: req.db)?.intakePolicy ?? IntakePolicy()
        let review =
            state?.awaitsReview == true || state == .rejected
            ? ReviewBox(
                reason: LeadReview.reason(of: lead),
                errors: LeadReview.reviewErrors(of: lead).sorted { $0.key < $1.key }.map {
                    Field(
                        name: $0.key, label: LeadField(rawValue: $0.key)?.label ?? $0.key,
                        value: $0.value.joined(separator: " "))
                },
                needsConsent: !lead.consentPhone && policy.requirePhoneConsent, rejected: state == .rejected,
                canAct: scope.role.allows(.edit) && lead.erasedAt == nil) : nil
        let existing = try await LeadReturn.query(on: req.db).filter(\.$leadId == lead.requireID()).first()
        let deliveredToCrm = BillingService.billedStatuses.contains(lead.status)
        let returned: ReturnBox? =
            existing != nil || deliveredToCrm
            ? ReturnBox(
                status: existing?.status.label, statusClass: existing.map { "return-" + $0.statusRaw },
                detail: existing.map { item in
                    [item.reason.label, item.note, item.decisionNote].compactMap { $0 }.joined(separator: " — ")
                },
                canDeclare: existing == nil && scope.role.allows(.edit) && lead.erasedAt == nil,
                reasons: ReturnReason.allCases.map {
                    SelectOption(value: $0.rawValue, label: $0.label, selected: false)
                })
            : nil
        let context = ShowContext(
            returned: returned,
            review: review, qualityScore: lead.qualityScore.map { "\($0)/100" },
            qualityTone: Self.qualityTone(lead.qualityScore, policy: policy),
            qualityReasons: LeadReview.qualitySignals(of: lead).map {
                Field(name: $0.code, label: $0.label, value: "+\($0.points)")
            },
            id: lead.id!.uuidString,
            title: lead.erasedAt != nil ? "Lead anonymisé" : (name.isEmpty ? displayPhone(lead.phone) : name),
            status: LeadStatus(rawValue: lead.status)?.label ?? lead.status, statusClass: lead.status,
            duplicateOf: lead.duplicateOf?.uuidString, erased: lead.erasedAt != nil, archived: lead.archivedAt != nil,
            fields: fields, extra: extra, attribution: attribution, consent: consent, placement: placement,
            events: timeline(events, attempts: attemptEvents), routing: routing, delivery: deliveryFields,
            deliveryStatus: latest?.statusRaw, deliveryLabel: latest?.status.label,
            canRetry: scope.role.allows(.edit) && latest?.crmId != nil && latest?.status != .delivered
                && lead.erasedAt == nil,
            canForce: scope.role.allows(.manageCrms) && lead.erasedAt == nil,
            crmOptions: crms.map {
                SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id == lead.routedCrmId)
            },
            errors: FormErrors(errors), canEdit: scope.role.allows(.edit) && lead.erasedAt == nil)
        return try await req.renderPage(
            "leads/show", title: "Lead", context, status: errors == nil ? .ok : .unprocessableEntity)
    }
}
