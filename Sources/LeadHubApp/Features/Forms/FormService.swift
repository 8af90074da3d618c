import Fluent
import Foundation
import LeadHubCore
import Vapor

struct FormInput: Decodable, Sendable {
    var accountId: String?
    var code: String?
    var name: String?
    var url: String?
    var productType: String?
    var trackingType: String?
    var thankYouURL: String?
    var thankYouRedirect: String?
    var excludeFromRouting: Bool?
    var metropolitanOnly: Bool?
    var allowedOrigins: [String]?
    var notes: String?
    var imageURL: String?
    var crmToken: String?
    /// Seals the token; set by the controller from the application.
    var secrets: SecretBox?
    var status: String?
    var landingPageIds: [String]?

    enum CodingKeys: String, CodingKey {
        case accountId = "account_id", code, name, url, productType = "product_type", trackingType = "tracking_type"
        case thankYouURL = "thank_you_url", thankYouRedirect = "thank_you_redirect"
        case excludeFromRouting = "exclude_from_routing", metropolitanOnly = "metropolitan_only"
        case allowedOrigins = "allowed_origins", notes, imageURL = "image_url", crmToken = "crm_token", status,
            landingPageIds = "landing_page_ids"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accountId = try c.text(.accountId)
        code = try c.text(.code)
        name = try c.text(.name)
        url = try c.text(.url)
        productType = try c.text(.productType)
        trackingType = try c.text(.trackingType)
        thankYouURL = try c.text(.thankYouURL)
        thankYouRedirect = try c.text(.thankYouRedirect)
        excludeFromRouting = try c.flag(.excludeFromRouting)
        metropolitanOnly = try c.flag(.metropolitanOnly)
        allowedOrigins = try c.list(.allowedOrigins)
        notes = try c.text(.notes)
        imageURL = try c.text(.imageURL)
        crmToken = try c.text(.crmToken)
        status = try c.text(.status)
        landingPageIds = try c.list(.landingPageIds)
    }
}

enum FormService {
    static let sortable = ["code": "code", "name": "name", "created": "created_at"]

    struct Filters: Content {
        var crmId: UUID?
        var accountId: UUID?
        var productType: String?
        var status: String?

        enum CodingKeys: String, CodingKey {
            case crmId = "crm_id", accountId = "account_id", productType = "product_type", status
        }
    }

    static func filtered(_ params: ListParams, filters: Filters, scope: TenantScope, on db: any Database) async throws
        -> QueryBuilder<Form>
    {
        var query = scope.query(Form.self, on: db).search(params.search, in: ["code", "name", "url"])
        if let accountId = filters.accountId { query = query.filter(\.$accountId == accountId) }
        if let crmId = filters.crmId {
            query = query.filter(\.$accountId ~~ (try await scope.accountIds(ofCrm: crmId, on: db)))
        }
        if let product = filters.productType, !product.isEmpty {
            query = query.filter(\.$productType == product.uppercased())
        }
        if let status = filters.status, !status.isEmpty { query = query.filter(\.$statusRaw == status) }
        return query
    }

    static func create(_ input: FormInput, scope: TenantScope, now: Date, on db: any Database) async throws -> Form {
        try scope.require(.edit)
        let form = Form()
        form.organizationId = scope.organizationId
        form.trackingType = .gtm
        form.excludeFromRouting = false
        form.metropolitanOnly = false
        form.allowedOrigins = []
        form.status = .active
        form.formKey = newFormKey()
        try await db.transaction { tx in
            try await apply(input, to: form, creating: true, scope: scope, on: tx)
            try await form.create(on: tx)
            try await linkLandingPages(input.landingPageIds, to: form, scope: scope, on: tx)
            try await ActivityService.record(
                .create, objectType: "form", objectId: form.id,
                summary: "Formulaire \(form.code) « \(form.name) » créé",
                scope: scope, at: now, on: tx)
        }
        return form
    }

    static func update(_ id: UUID?, _ input: FormInput, scope: TenantScope, now: Date, on db: any Database) async throws
        -> Form
    {
        let form = try await scope.find(Form.self, id, on: db)
        try scope.require(.edit)
        try await db.transaction { tx in
            try await apply(input, to: form, creating: false, scope: scope, on: tx)
            try await form.save(on: tx)
            try await linkLandingPages(input.landingPageIds, to: form, scope: scope, on: tx)
            try await ActivityService.record(
                .update, objectType: "form", objectId: form.id, summary: "Formulaire \(form.code) modifié",
                scope: scope,
                at: now, on: tx)
        }
        return form
    }

    static func delete(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws {
        let form = try await scope.find(Form.self, id, on: db)
        try scope.require(.edit)
        let leads = try await Lead.query(on: db).filter(\.$organizationId == scope.organizationId)
            .filter(\.$formId == form.requireID()).count()
        if leads > 0 {
            throw AppError.conflict(
                field: nil,
                message: "Ce formulaire a reçu \(leads) lead(s) : archivez-le plutôt que de le supprimer.")
        }
        try await db.transaction { tx in
            try await PageComment.query(on: tx).filter(\.$organizationId == scope.organizationId)
                .filter(\.$targetId == form.requireID()).delete()
            try await form.delete(on: tx)
            try await ActivityService.record(
                .delete, objectType: "form", objectId: form.id, summary: "Formulaire \(form.code) supprimé",
                scope: scope,
                at: now, on: tx)
        }
    }

    /// A copy with a new code and key, named "… (copie)", active.
    static func duplicate(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws -> Form {
        let source = try await scope.find(Form.self, id, on: db)
        try scope.require(.edit)
        let copy = Form()
        copy.organizationId = scope.organizationId
        copy.accountId = source.accountId
        copy.name = String((source.name + " (copie)").prefix(150))
        copy.url = source.url
        copy.productType = source.productType
        copy.trackingTypeRaw = source.trackingTypeRaw
        copy.thankYouURL = source.thankYouURL
        copy.thankYouRedirect = source.thankYouRedirect
        copy.excludeFromRouting = source.excludeFromRouting
        copy.metropolitanOnly = source.metropolitanOnly
        copy.allowedOriginsJSON = source.allowedOriginsJSON
        copy.notes = source.notes
        copy.imageURL = source.imageURL
        copy.crmTokenSealed = source.crmTokenSealed
        copy.status = .active
        copy.formKey = newFormKey()
        copy.code = try await nextCode(for: source.productType, scope: scope, on: db)
        try await db.transaction { tx in
            try await copy.create(on: tx)
            try await ActivityService.record(
                .create, objectType: "form", objectId: copy.id,
                summary: "Formulaire \(copy.code) créé par duplication de \(source.code)", scope: scope, at: now, on: tx
            )
        }
        return copy
    }

    static func setStatus(_ id: UUID?, _ status: PublicationStatus, scope: TenantScope, now: Date, on db: any Database)
        async throws -> Form
    {
        let form = try await scope.find(Form.self, id, on: db)
        try scope.require(.edit)
        form.status = status
        try await db.transaction { tx in
            try await form.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "form", objectId: form.id,
                summary: "Formulaire \(form.code) " + (status == .archived ? "archivé" : "réactivé"), scope: scope,
                at: now,
                on: tx)
        }
        return form
    }

    /// A new form key: the old one stops working at once.
    static func regenerateKey(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws -> Form {
        let form = try await scope.find(Form.self, id, on: db)
        try scope.require(.edit)
        form.formKey = newFormKey()
        try await db.transaction { tx in
            try await form.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "form", objectId: form.id, summary: "Clé du formulaire \(form.code) régénérée",
                scope: scope, at: now, on: tx)
        }
        return form
    }

    static func newFormKey() -> String { Secrets.token(prefix: "lhf_", bytes: 18) }

    static func nextCode(for product: String, scope: TenantScope, on db: any Database) async throws -> String {
        let existing = try await Form.query(on: db).filter(\.$organizationId == scope.organizationId)
            .filter(\.$code, .custom("LIKE"), product + "-%").all().map(\.code)
        return PageCode.next(prefix: product, existing: existing)
    }

    private static func apply(
        _ input: FormInput, to form: Form, creating: Bool, scope: TenantScope, on db: any Database
    ) async throws {
        var errors = FieldErrors()
        if creating || input.name != nil {
            form.name = Check.requiredText(input.name, field: "name", max: 150, errors: &errors)
        }
        var account: Account? = nil
        if creating || input.accountId != nil {
            if let raw = input.accountId, let id = UUID(uuidString: raw),
                let found = try await scope.query(Account.self, on: db).filter(\.$id == id).first()
            {
                account = found
                form.accountId = id
            } else {
                errors.add(
                    "account_id",
                    (input.accountId ?? "").isEmpty ? "Choisissez le compte du formulaire." : "Compte introuvable.")
            }
        } else {
            account = try await Account.find(form.accountId, on: db)
        }
        if creating || input.productType != nil {
            let code = (input.productType ?? "").trimmingCharacters(in: .whitespaces).uppercased()
            let product = try await scope.query(ProductType.self, on: db).filter(\.$code == code).first()
            if product == nil {
                errors.add(
                    "product_type",
                    code.isEmpty ? "Choisissez le type de produit." : "Type de produit inconnu : \(code).")
            } else if !creating && code != form.productType {
                let leads = try await Lead.query(on: db).filter(\.$formId == form.requireID()).count()
                if leads > 0 {
                    errors.add("product_type", "Ce formulaire a déjà reçu des leads : son produit ne change plus.")
                }
            }
            form.productType = code
        }
        if creating || input.url != nil { form.url = Check.optionalURL(input.url, field: "url", errors: &errors) }
        if let raw = input.trackingType, !raw.isEmpty {
            if let tracking = TrackingType(rawValue: raw.lowercased()) {
                form.trackingType = tracking
            } else {
                errors.add("tracking_type", "Suivi invalide : gtm, redirect ou none.")
            }
        }
        if input.thankYouURL != nil {
            form.thankYouURL = Check.optionalURL(input.thankYouURL, field: "thank_you_url", errors: &errors)
        }
        if let name = input.thankYouRedirect {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                form.thankYouRedirect = nil
            } else if let account, !account.redirectURLs.contains(where: { $0.name == trimmed }) {
                errors.add("thank_you_redirect", "Le compte n'a pas de redirection nommée « \(trimmed) ».")
            } else {
                form.thankYouRedirect = trimmed
            }
        }
        if let exclude = input.excludeFromRouting { form.excludeFromRouting = exclude }
        if let metropolitan = input.metropolitanOnly { form.metropolitanOnly = metropolitan }
        if let origins = input.allowedOrigins {
            var clean: [String] = []
            for origin in origins.prefix(20) {
                let trimmed = origin.trimmingCharacters(in: .whitespaces).lowercased()
                let normalized = trimmed.hasSuffix("/") ? String(trimmed.dropLast()) : trimmed
                if Check.isHTTPURL(normalized), let url = URL(string: normalized), url.path.isEmpty {
                    clean.append(normalized)
                } else {
                    errors.add("allowed_origins", "Origine invalide « \(origin) » : https://domaine.fr, sans chemin.")
                }
            }
            form.allowedOrigins = clean
        }
        if input.notes != nil {
            form.notes = Check.optionalText(input.notes, field: "notes", max: 5_000, errors: &errors)
        }
        if input.imageURL != nil {
            form.imageURL = Check.optionalURL(input.imageURL, field: "image_url", errors: &errors)
        }
        // Deployed pages and the CRM depend on a form's code and token: once it has leads they stay.
        var leadCount: Int? = nil
        func hasLeads() async throws -> Bool {
            if creating { return false }
            if leadCount == nil {
                leadCount = try await Lead.query(on: db).filter(\.$formId == form.requireID()).count()
            }
            return leadCount! > 0
        }
        if let token = input.crmToken?.trimmingCharacters(in: .whitespacesAndNewlines) {
            guard let box = input.secrets else { throw AppError.badRequest("Secrets non pris en charge ici.") }
            let current = creating ? nil : form.crmTokenSealed.flatMap { try? box.open($0) }
            if token != (current ?? ""), current != nil, try await hasLeads() {
                errors.add(
                    "crm_token",
                    "Ce formulaire a déjà reçu des leads : son jeton CRM ne peut plus être modifié ni effacé (créez un nouveau formulaire)."
                )
            } else if token.isEmpty {
                form.crmTokenSealed = nil
            } else if token.count > 500 {
                errors.add("crm_token", "Le jeton compte 500 caractères au plus.")
            } else {
                form.crmTokenSealed = try box.seal(token)
            }
        }
        if let raw = input.status, !raw.isEmpty {
            if let status = PublicationStatus(rawValue: raw) {
                form.status = status
            } else {
                errors.add("status", "Statut invalide : active ou archived.")
            }
        }
        if let code = input.code?.trimmingCharacters(in: .whitespaces).uppercased(), !code.isEmpty {
            if !PageCode.isValid(code) {
                errors.add("code", "Code invalide : lettres majuscules, chiffres et tirets (ex. PV-001).")
            } else if !creating, code != form.code, try await hasLeads() {
                errors.add(
                    "code",
                    "Ce formulaire a déjà reçu des leads : son code ne change plus (les pages déployées l'utilisent).")
            } else {
                form.code = code
            }
        } else if creating, errors.first("product_type") == nil {
            form.code = try await nextCode(for: form.productType, scope: scope, on: db)
        }
        try errors.throwIfAny()
        var taken = Form.query(on: db).filter(\.$organizationId == scope.organizationId).filter(\.$code == form.code)
        if let id = form.id { taken = taken.filter(\.$id != id) }
        if try await taken.count() > 0 {
            throw AppError.conflict(field: "code", message: "Le code « \(form.code) » est déjà utilisé.")
        }
    }

    /// Points the chosen LPs' CTA at this form (LPs are the owning side of the link).
    private static func linkLandingPages(_ raw: [String]?, to form: Form, scope: TenantScope, on db: any Database)
        async throws
    {
        guard let raw else { return }
        let ids = raw.compactMap(UUID.init(uuidString:))
        let pages = try await scope.query(LandingPage.self, on: db).filter(\.$id ~~ ids).all()
        if pages.count != Set(raw).count {
            throw FieldErrors(["landing_page_ids": ["Une des landing pages choisies est introuvable."]])
        }
        let formId = try form.requireID()
        for page in try await scope.query(LandingPage.self, on: db).filter(\.$formId == formId).all()
        where !ids.contains(page.id!) {
            page.formId = nil
            try await page.save(on: db)
        }
        for page in pages where page.formId != formId {
            page.formId = formId
            try await page.save(on: db)
        }
    }
}

struct FormDTO: Content {
    let id: UUID
    let organizationId: UUID
    let accountId: UUID
    let code: String
    let name: String
    let url: String?
    let productType: String
    let trackingType: String
    let thankYouURL: String?
    let thankYouRedirect: String?
    let excludeFromRouting: Bool
    let metropolitanOnly: Bool
    let formKey: String
    let allowedOrigins: [String]
    let notes: String?
    let imageURL: String?
    /// The form has its own CRM token (never shown again once saved).
    let crmTokenSet: Bool
    let status: String
    let landingPageIds: [UUID]
    let statsSince: Date?
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, organizationId = "organization_id", accountId = "account_id", code, name, url
        case productType = "product_type", trackingType = "tracking_type", thankYouURL = "thank_you_url"
        case thankYouRedirect = "thank_you_redirect", excludeFromRouting = "exclude_from_routing"
        case metropolitanOnly = "metropolitan_only", formKey = "form_key", allowedOrigins = "allowed_origins", notes
        case imageURL = "image_url", crmTokenSet = "crm_token_set", status, landingPageIds = "landing_page_ids",
            statsSince = "stats_since", createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ f: Form, landingPageIds: [UUID] = []) {
        id = f.id!
        organizationId = f.organizationId
        accountId = f.accountId
        code = f.code
        name = f.name
        url = f.url
        productType = f.productType
        trackingType = f.trackingTypeRaw
        thankYouURL = f.thankYouURL
        thankYouRedirect = f.thankYouRedirect
        excludeFromRouting = f.excludeFromRouting
        metropolitanOnly = f.metropolitanOnly
        formKey = f.formKey
        allowedOrigins = f.allowedOrigins
        notes = f.notes
        imageURL = f.imageURL
        crmTokenSet = f.crmTokenSealed != nil
        status = f.statusRaw
        self.landingPageIds = landingPageIds
        statsSince = f.statsSince
        createdAt = f.createdAt
        updatedAt = f.updatedAt
    }
}
