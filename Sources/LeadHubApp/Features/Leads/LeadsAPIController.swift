import Fluent
import Foundation
import LeadHubCore
import Vapor

struct LeadDTO: Content {
    let id: UUID
    let organizationId: UUID
    let status: String
    let duplicateOf: UUID?
    let formId: UUID
    let formCode: String
    let accountId: UUID
    let crmId: UUID
    let landingPageId: UUID?
    let diffusionSourceId: UUID?
    let productType: String
    let phone: String
    let civilite: String?
    let nom: String?
    let prenom: String?
    let email: String?
    let codePostal: String?
    let departement: String?
    let ville: String?
    let adresse: String?
    let typeLogement: String?
    let statutOccupant: String?
    let surfaceHabitable: Int?
    let chauffageActuel: String?
    let factureElectricite: String?
    let extra: [String: JSONValue]
    let attribution: [String: String]
    let consent: Consent
    let quality: Quality
    /// Why it waits in « À vérifier » and the field errors it was kept with (nil once handled).
    let review: Review?
    let routing: RoutingDTO
    let delivery: DeliveryDTO?
    let archivedAt: Date?
    let erasedAt: Date?
    let createdAt: Date
    let updatedAt: Date

    struct Consent: Content {
        let phone: Bool
        let email: Bool
        let text: String?
        let url: String?
        let at: Date
        let ip: String?
        let userAgent: String?
        /// SHA-256 of the wording shown, and the partner list's version.
        let textHash: String?
        let partnersVersion: String?

        enum CodingKeys: String, CodingKey {
            case phone, email, text, url, at, ip, userAgent = "user_agent", textHash = "text_hash"
            case partnersVersion = "partners_version"
        }
    }

    struct Quality: Content {
        let score: Int?
        let reasons: [QualitySignal]
    }

    struct Review: Content {
        let reason: String
        let errors: [String: [String]]
    }

    enum CodingKeys: String, CodingKey {
        case id, organizationId = "organization_id", status, duplicateOf = "duplicate_of", formId = "form_id"
        case formCode = "form_code", accountId = "account_id", crmId = "crm_id", landingPageId = "landing_page_id"
        case diffusionSourceId = "diffusion_source_id", productType = "product_type", phone, civilite, nom, prenom
        case email, codePostal = "code_postal", departement, ville, adresse, typeLogement = "type_logement"
        case statutOccupant = "statut_occupant", surfaceHabitable = "surface_habitable"
        case chauffageActuel = "chauffage_actuel", factureElectricite = "facture_electricite", extra, attribution
        case consent, quality, review, routing, delivery, archivedAt = "archived_at", erasedAt = "erased_at",
            createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ l: Lead, delivery: Delivery?) {
        routing = RoutingDTO(
            crmId: l.routedCrmId, reason: l.routingReason, explanation: l.routingExplanation, rerouted: l.rerouted,
            unitPrice: l.unitPriceCents.map { Double($0) / 100 })
        self.delivery = delivery.map(DeliveryDTO.init)
        id = l.id!
        organizationId = l.organizationId
        status = l.status
        duplicateOf = l.duplicateOf
        formId = l.formId
        formCode = l.formCode
        accountId = l.accountId
        crmId = l.crmId
        landingPageId = l.landingPageId
        diffusionSourceId = l.diffusionSourceId
        productType = l.productType
        phone = l.phone
        civilite = l.civilite
        nom = l.nom
        prenom = l.prenom
        email = l.email
        codePostal = l.codePostal
        departement = l.departement
        ville = l.ville
        adresse = l.adresse
        typeLogement = l.typeLogement
        statutOccupant = l.statutOccupant
        surfaceHabitable = l.surfaceHabitable
        chauffageActuel = l.chauffageActuel
        factureElectricite = l.factureElectricite
        extra = l.extra
        let pairs: [(String, String?)] = [
            ("lp_code", l.lpCode), ("session_id", l.sessionId), ("visitor_id", l.visitorId),
            ("utm_source", l.utmSource), ("utm_medium", l.utmMedium), ("utm_campaign", l.utmCampaign),
            ("utm_content", l.utmContent), ("utm_term", l.utmTerm), ("gclid", l.gclid), ("fbclid", l.fbclid),
            ("referrer", l.referrer), ("page_url", l.pageURL),
        ]
        attribution = Dictionary(uniqueKeysWithValues: pairs.compactMap { key, value in value.map { (key, $0) } })
        consent = Consent(
            phone: l.consentPhone, email: l.consentEmail, text: l.consentText, url: l.consentURL, at: l.consentAt,
            ip: l.ip, userAgent: l.userAgent, textHash: l.consentHash, partnersVersion: l.consentPartnersVersion)
        quality = Quality(score: l.qualityScore, reasons: LeadReview.qualitySignals(of: l))
        let state = LeadStatus(rawValue: l.status)
        review =
            state?.awaitsReview == true || state == .rejected
            ? Review(reason: LeadReview.reason(of: l), errors: LeadReview.reviewErrors(of: l)) : nil
        archivedAt = l.archivedAt
        erasedAt = l.erasedAt
        createdAt = l.createdAt
        updatedAt = l.updatedAt
    }
}

struct LeadListResponse: Content {
    let items: [LeadDTO]
    let nextCursor: String?
    let totals: LeadService.Totals

    enum CodingKeys: String, CodingKey {
        case items, nextCursor = "next_cursor", totals
    }
}

struct LeadsAPIController {
    @Sendable func index(req: Request) async throws -> LeadListResponse {
        let scope = try req.tenantScope()
        let filters = try req.query.decode(LeadFilters.self)
        let page = try await LeadService.page(filters, scope: scope, on: req.db)
        let totals = try await LeadService.totals(filters, scope: scope, on: req.db)
        let deliveries = try await Self.deliveries(of: page.items, on: req.db)
        return LeadListResponse(
            items: page.items.map { LeadDTO($0, delivery: deliveries[$0.id!]) }, nextCursor: page.nextCursor,
            totals: totals)
    }

    @Sendable func show(req: Request) async throws -> LeadDTO {
        let lead = try await req.tenantScope().find(Lead.self, req.id("lead_id"), on: req.db)
        return LeadDTO(lead, delivery: try await Self.deliveries(of: [lead], on: req.db)[lead.id!])
    }

    @Sendable func update(req: Request) async throws -> LeadDTO {
        let body = try req.content.decode([String: JSONValue].self)
        let lead = try await LeadService.update(
            req.id("lead_id"), body: body, scope: try req.tenantScope(), now: req.now, on: req.db)
        return LeadDTO(lead, delivery: try await Self.deliveries(of: [lead], on: req.db)[lead.id!])
    }

    /// The latest delivery of each lead (the leads were already scoped).
    static func deliveries(of leads: [Lead], on db: any Database) async throws -> [UUID: Delivery] {
        let ids = leads.compactMap(\.id)
        guard !ids.isEmpty else { return [:] }
        var latest: [UUID: Delivery] = [:]
        for delivery in try await Delivery.query(on: db).filter(\.$leadId ~~ ids).sort(\.$createdAt).all() {
            latest[delivery.leadId] = delivery
        }
        return latest
    }

    struct ReviewQueueResponse: Content {
        let items: [LeadDTO]
        let counts: [String: Int]
    }

    /// `GET /api/admin/leads/review`: « À vérifier », oldest first (`?status=` one of its statuses or `rejected`).
    @Sendable func review(req: Request) async throws -> ReviewQueueResponse {
        let scope = try req.tenantScope()
        let raw = req.query[String.self, at: "status"]
        let status = try raw.map { raw in
            guard let status = LeadStatus(rawValue: raw), status.awaitsReview || status == .rejected else {
                throw FieldErrors(["status": ["Choisissez parmi incomplete, invalid, held, no_consent et rejected."]])
            }
            return status
        }
        let page = try await LeadReview.queue(status: status, scope: scope, on: req.db)
        return ReviewQueueResponse(
            items: page.leads.map { LeadDTO($0, delivery: nil) },
            counts: Dictionary(uniqueKeysWithValues: page.counts.map { ($0.key.rawValue, $0.value) }))
    }

    struct ReleaseBody: Content {
        var consentObtained: Bool?
        var note: String?

        enum CodingKeys: String, CodingKey { case consentObtained = "consent_obtained", note }
    }

    /// `POST /api/admin/leads/:id/release`: into routing, then delivered like any new lead.
    @Sendable func release(req: Request) async throws -> LeadDTO {
        let body = (try? req.content.decode(ReleaseBody.self)) ?? ReleaseBody()
        let lead = try await LeadReview.release(
            req.id("lead_id"), consentObtained: body.consentObtained ?? false, note: body.note,
            scope: try req.tenantScope(), now: req.now, app: req.application, on: req.db)
        return LeadDTO(lead, delivery: try await Self.deliveries(of: [lead], on: req.db)[lead.id!])
    }

    struct RejectBody: Content { var reason: String? }

    /// `POST /api/admin/leads/:id/reject`: kept, never sent.
    @Sendable func reject(req: Request) async throws -> LeadDTO {
        let body = (try? req.content.decode(RejectBody.self)) ?? RejectBody()
        let lead = try await LeadReview.reject(
            req.id("lead_id"), reason: body.reason, scope: try req.tenantScope(), now: req.now, on: req.db)
        return LeadDTO(lead, delivery: nil)
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        let scope = try req.tenantScope()
        let lead = try await scope.find(Lead.self, req.id("lead_id"), on: req.db)
        _ = try await LeadService.bulk(.delete, ids: [try lead.requireID()], scope: scope, now: req.now, on: req.db)
        return .noContent
    }

    struct BulkBody: Content {
        var action: LeadService.BulkAction
        var ids: [UUID]
    }

    struct BulkResult: Content {
        let changed: Int
    }

    @Sendable func bulk(req: Request) async throws -> BulkResult {
        let body = try req.content.decode(BulkBody.self)
        let changed = try await LeadService.bulk(
            body.action, ids: body.ids, scope: try req.tenantScope(), now: req.now, on: req.db)
        return BulkResult(changed: changed)
    }

    struct ArchiveOlderBody: Content { var months: Int? }

    /// `POST /api/admin/leads/archive-older {"months": 3}` (admins).
    @Sendable func archiveOlder(req: Request) async throws -> BulkResult {
        let months = try req.content.decode(ArchiveOlderBody.self).months
        return BulkResult(
            changed: try await LeadService.archiveOlder(
                than: months, scope: try req.tenantScope(), now: req.now, on: req.db))
    }

    struct EraseBody: Content {
        var phone: String?
        var email: String?
    }

    struct EraseResult: Content {
        let erased: Int
    }

    @Sendable func erase(req: Request) async throws -> EraseResult {
        let body = try req.content.decode(EraseBody.self)
        let erased = try await LeadService.erase(
            phone: body.phone, email: body.email, scope: try req.tenantScope(), now: req.now, on: req.db)
        return EraseResult(erased: erased)
    }

    @Sendable func export(req: Request) async throws -> Response {
        try await LeadExport.response(for: req)
    }
}
