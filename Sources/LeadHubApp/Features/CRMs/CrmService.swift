import Fluent
import Foundation
import LeadHubCore
import Vapor

/// What a client sends to create or change a CRM. Absent keys keep the current value.
struct CrmInput: Decodable {
    var name: String?
    var slug: String?
    var apiURL: String?
    var description: String?
    var deliveryKind: String?
    var orders: JSONValue?
    var leadPrices: JSONValue?
    var routingLimits: JSONValue?
    var redistributionTokens: JSONValue?
    var fieldMapping: JSONValue?
    var webhookHeaders: JSONValue?
    var webhookSecret: String?
    /// Seals the tokens; set by the controller from the application.
    var secrets: SecretBox?

    enum CodingKeys: String, CodingKey {
        case name, slug, description
        case apiURL = "api_url"
        case deliveryKind = "delivery_kind", orders, leadPrices = "lead_prices", routingLimits = "routing_limits"
        case redistributionTokens = "redistribution_tokens", fieldMapping = "field_mapping"
        case webhookHeaders = "webhook_headers", webhookSecret = "webhook_secret"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.text(.name)
        slug = try c.text(.slug)
        apiURL = try c.text(.apiURL)
        description = try c.text(.description)
        deliveryKind = try c.text(.deliveryKind)
        orders = try c.decodeIfPresent(JSONValue.self, forKey: .orders)
        leadPrices = try c.decodeIfPresent(JSONValue.self, forKey: .leadPrices)
        routingLimits = try c.decodeIfPresent(JSONValue.self, forKey: .routingLimits)
        redistributionTokens = try c.decodeIfPresent(JSONValue.self, forKey: .redistributionTokens)
        fieldMapping = try c.decodeIfPresent(JSONValue.self, forKey: .fieldMapping)
        webhookHeaders = try c.decodeIfPresent(JSONValue.self, forKey: .webhookHeaders)
        webhookSecret = try c.text(.webhookSecret)
    }

    init() {}
}

enum CrmService {
    static let sortable = ["name": "name", "slug": "slug", "created": "created_at"]

    /// The visible CRMs matching the search, unsorted (the API pages them by id).
    static func filtered(_ params: ListParams, scope: TenantScope, on db: any Database) -> QueryBuilder<Crm> {
        scope.query(Crm.self, on: db).search(params.search, in: ["name", "slug", "api_url"])
    }

    /// The same, sorted as the list page asks.
    static func sorted(_ params: ListParams, scope: TenantScope, on db: any Database) -> QueryBuilder<Crm> {
        let column = sortable[params.sort ?? "name"] ?? "name"
        return filtered(params, scope: scope, on: db)
            .sort(FieldKey(stringLiteral: column), params.descending ? .descending : .ascending)
    }

    static func create(_ input: CrmInput, scope: TenantScope, now: Date, on db: any Database) async throws -> Crm {
        try scope.require(.manageCrms)
        guard !scope.isRestricted else {
            throw AppError.forbidden("Seul un administrateur sans restriction peut créer un CRM.")
        }
        let crm = Crm()
        crm.organizationId = scope.organizationId
        try await apply(input, to: crm, creating: true, scope: scope, on: db)
        try await db.transaction { tx in
            try await crm.create(on: tx)
            try await ActivityService.record(
                .create, objectType: "crm", objectId: crm.id, summary: "CRM « \(crm.name) » créé", scope: scope,
                at: now,
                on: tx)
        }
        return crm
    }

    static func update(_ id: UUID?, _ input: CrmInput, scope: TenantScope, now: Date, on db: any Database)
        async throws -> Crm
    {
        let crm = try await scope.find(Crm.self, id, on: db)
        try scope.require(.manageCrms)
        guard scope.canManageWholeCrm(try crm.requireID()) else { throw AppError.forbidden() }
        try await apply(input, to: crm, creating: false, scope: scope, on: db)
        try await db.transaction { tx in
            try await crm.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "crm", objectId: crm.id, summary: "CRM « \(crm.name) » modifié", scope: scope,
                at: now, on: tx)
        }
        return crm
    }

    static func delete(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws {
        let crm = try await scope.find(Crm.self, id, on: db)
        try scope.require(.manageCrms)
        guard scope.canManageWholeCrm(try crm.requireID()) else { throw AppError.forbidden() }
        let accounts = try await Account.query(on: db)
            .filter(\.$organizationId == scope.organizationId).filter(\.$crmId == crm.requireID()).count()
        if accounts > 0 {
            throw AppError.conflict(
                field: nil,
                message: "Ce CRM possède encore \(accounts) compte(s) : déplacez-les ou supprimez-les d'abord.")
        }
        try await db.transaction { tx in
            try await crm.delete(on: tx)
            try await ActivityService.record(
                .delete, objectType: "crm", objectId: crm.id, summary: "CRM « \(crm.name) » supprimé", scope: scope,
                at: now, on: tx)
        }
    }

    private static func apply(_ input: CrmInput, to crm: Crm, creating: Bool, scope: TenantScope, on db: any Database)
        async throws
    {
        var errors = FieldErrors()
        if creating || input.name != nil {
            crm.name = Check.requiredText(input.name, field: "name", max: 100, errors: &errors)
        }
        if let slug = input.slug?.trimmingCharacters(in: .whitespaces), !slug.isEmpty {
            if Slug.isValid(slug) {
                crm.slug = slug
            } else {
                errors.add(
                    "slug", "Identifiant invalide : lettres minuscules, chiffres et tirets (ex. « zr7-digital »).")
            }
        } else if creating || input.slug != nil {
            crm.slug = Slug.make(crm.name)
            if crm.slug.isEmpty && errors.first("name") == nil {
                errors.add("name", "Le nom doit contenir au moins une lettre ou un chiffre.")
            }
        }
        if input.apiURL != nil { crm.apiURL = Check.optionalURL(input.apiURL, field: "api_url", errors: &errors) }
        if input.description != nil {
            crm.details = Check.optionalText(input.description, field: "description", max: 2_000, errors: &errors)
        }
        try await applyRouting(input, to: crm, scope: scope, on: db, errors: &errors)
        try errors.throwIfAny()
        var taken = Crm.query(on: db).filter(\.$organizationId == scope.organizationId).filter(\.$slug == crm.slug)
        if let id = crm.id { taken = taken.filter(\.$id != id) }
        if try await taken.count() > 0 {
            throw AppError.conflict(field: "slug", message: "Un CRM utilise déjà l'identifiant « \(crm.slug) ».")
        }
    }
}

extension CrmService {
    /// Commandes, prices, limits, destination kind, tokens and webhook settings.
    fileprivate static func applyRouting(
        _ input: CrmInput, to crm: Crm, scope: TenantScope, on db: any Database, errors: inout FieldErrors
    ) async throws {
        if let raw = input.deliveryKind, !raw.isEmpty {
            if let kind = DeliveryKind(rawValue: raw.lowercased()) {
                crm.deliveryKind = kind
            } else {
                errors.add("delivery_kind", "Type de destination invalide : zr7, mdl ou webhook.")
            }
        }
        let touchesProducts =
            input.orders != nil || input.leadPrices != nil || input.routingLimits != nil
            || input.redistributionTokens != nil
        guard touchesProducts || input.fieldMapping != nil || input.webhookHeaders != nil || input.webhookSecret != nil
        else { return }
        let products = touchesProducts ? Set(try await scope.query(ProductType.self, on: db).all().map(\.code)) : []
        crm.orders = CrmRoutingSettings.orders(input.orders, into: crm.orders, products: products, errors: &errors)
        crm.leadPrices = CrmRoutingSettings.prices(
            input.leadPrices, into: crm.leadPrices, products: products, errors: &errors)
        crm.routingLimits = CrmRoutingSettings.limits(
            input.routingLimits, into: crm.routingLimits, products: products, errors: &errors)
        if let mapping = CrmRoutingSettings.stringMap(
            input.fieldMapping, field: "field_mapping",
            allowedKeys: Set(PartnerPayload.mappableFields + ["product_type"]),
            errors: &errors)
        {
            crm.fieldMapping = mapping
        }
        guard let box = input.secrets else {
            if input.redistributionTokens != nil || input.webhookHeaders != nil || input.webhookSecret != nil {
                throw AppError.badRequest("Secrets non pris en charge ici.")
            }
            return
        }
        if input.redistributionTokens != nil {
            let tokens = CrmRoutingSettings.tokens(
                input.redistributionTokens, into: box.openMap(crm.redistributionTokensSealed), products: products,
                field: "redistribution_tokens", errors: &errors)
            crm.redistributionTokensSealed = try box.sealMap(tokens)
        }
        if let headers = CrmRoutingSettings.stringMap(
            input.webhookHeaders, field: "webhook_headers", allowedKeys: nil, errors: &errors)
        {
            for name in headers.keys where !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) || name.isEmpty
            {
                errors.add("webhook_headers", "Nom d'en-tête invalide : \(name).")
            }
            crm.webhookHeadersSealed = try box.sealMap(headers)
        }
        if let secret = input.webhookSecret {
            let trimmed = secret.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                crm.webhookSecretSealed = nil
            } else if trimmed.count < 16 || trimmed.count > 200 {
                errors.add("webhook_secret", "Le secret compte de 16 à 200 caractères.")
            } else {
                crm.webhookSecretSealed = try box.seal(trimmed)
            }
        }
    }
}

struct CrmDTO: Content {
    let id: UUID
    let organizationId: UUID
    let name: String
    let slug: String
    let apiURL: String?
    let description: String?
    let deliveryKind: String
    let orders: [String: Order]
    let leadPrices: [String: Double]
    let routingLimits: [String: Int]
    /// Masked: a token is never shown again once saved.
    let redistributionTokens: [String: String]
    let fieldMapping: [String: String]
    let webhookHeaders: [String]
    let webhookSecretSet: Bool
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, slug, description
        case organizationId = "organization_id"
        case apiURL = "api_url"
        case deliveryKind = "delivery_kind", orders, leadPrices = "lead_prices", routingLimits = "routing_limits"
        case redistributionTokens = "redistribution_tokens", fieldMapping = "field_mapping"
        case webhookHeaders = "webhook_headers", webhookSecretSet = "webhook_secret_set"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ crm: Crm, secrets: SecretBox?) {
        deliveryKind = crm.deliveryKindRaw
        orders = crm.orders
        leadPrices = crm.leadPrices
        routingLimits = crm.routingLimits
        redistributionTokens = secrets?.openMap(crm.redistributionTokensSealed).mapValues(SecretBox.masked) ?? [:]
        fieldMapping = crm.fieldMapping
        webhookHeaders = secrets?.openMap(crm.webhookHeadersSealed).keys.sorted() ?? []
        webhookSecretSet = crm.webhookSecretSealed != nil
        id = crm.id!
        organizationId = crm.organizationId
        name = crm.name
        slug = crm.slug
        apiURL = crm.apiURL
        description = crm.details
        createdAt = crm.createdAt
        updatedAt = crm.updatedAt
    }
}
