import Fluent
import Foundation
import LeadHubCore
import Vapor

struct LandingPageInput: Decodable, Sendable {
    var accountId: String?
    var code: String?
    var name: String?
    var url: String?
    var diffusionSourceId: String?
    var kind: String?
    var formId: String?
    var notes: String?
    var imageURL: String?
    var status: String?

    enum CodingKeys: String, CodingKey {
        case accountId = "account_id", code, name, url, diffusionSourceId = "diffusion_source_id", kind
        case formId = "form_id", notes, imageURL = "image_url", status
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accountId = try c.text(.accountId)
        code = try c.text(.code)
        name = try c.text(.name)
        url = try c.text(.url)
        diffusionSourceId = try c.text(.diffusionSourceId)
        kind = try c.text(.kind)
        formId = try c.text(.formId)
        notes = try c.text(.notes)
        imageURL = try c.text(.imageURL)
        status = try c.text(.status)
    }
}

enum LandingPageService {
    static let sortable = ["code": "code", "name": "name", "created": "created_at"]

    struct Filters: Content {
        var crmId: UUID?
        var accountId: UUID?
        var diffusionSourceId: UUID?
        var productType: String?
        var status: String?

        enum CodingKeys: String, CodingKey {
            case crmId = "crm_id", accountId = "account_id", diffusionSourceId = "diffusion_source_id"
            case productType = "product_type", status
        }
    }

    static func filtered(_ params: ListParams, filters: Filters, scope: TenantScope, on db: any Database) async throws
        -> QueryBuilder<LandingPage>
    {
        var query = scope.query(LandingPage.self, on: db).search(params.search, in: ["code", "name", "url"])
        if let accountId = filters.accountId { query = query.filter(\.$accountId == accountId) }
        if let crmId = filters.crmId {
            query = query.filter(\.$accountId ~~ (try await scope.accountIds(ofCrm: crmId, on: db)))
        }
        if let source = filters.diffusionSourceId { query = query.filter(\.$diffusionSourceId == source) }
        if let product = filters.productType, !product.isEmpty {
            let forms = try await scope.query(Form.self, on: db).filter(\.$productType == product.uppercased()).all()
                .compactMap(\.id)
            query = query.filter(\.$formId ~~ forms)
        }
        if let status = filters.status, !status.isEmpty { query = query.filter(\.$statusRaw == status) }
        return query
    }

    static func create(_ input: LandingPageInput, scope: TenantScope, now: Date, on db: any Database) async throws
        -> LandingPage
    {
        try scope.require(.edit)
        let page = LandingPage()
        page.organizationId = scope.organizationId
        page.kind = .redirect
        page.status = .active
        try await apply(input, to: page, creating: true, scope: scope, on: db)
        try await db.transaction { tx in
            try await page.create(on: tx)
            try await ActivityService.record(
                .create, objectType: "landing_page", objectId: page.id,
                summary: "Landing page \(page.code) « \(page.name) » créée", scope: scope, at: now, on: tx)
        }
        return page
    }

    static func update(_ id: UUID?, _ input: LandingPageInput, scope: TenantScope, now: Date, on db: any Database)
        async throws -> LandingPage
    {
        let page = try await scope.find(LandingPage.self, id, on: db)
        try scope.require(.edit)
        try await apply(input, to: page, creating: false, scope: scope, on: db)
        try await db.transaction { tx in
            try await page.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "landing_page", objectId: page.id, summary: "Landing page \(page.code) modifiée",
                scope: scope, at: now, on: tx)
        }
        return page
    }

    static func delete(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws {
        let page = try await scope.find(LandingPage.self, id, on: db)
        try scope.require(.edit)
        try await db.transaction { tx in
            try await PageComment.query(on: tx).filter(\.$organizationId == scope.organizationId)
                .filter(\.$targetId == page.requireID()).delete()
            try await page.delete(on: tx)
            try await ActivityService.record(
                .delete, objectType: "landing_page", objectId: page.id, summary: "Landing page \(page.code) supprimée",
                scope: scope, at: now, on: tx)
        }
    }

    static func duplicate(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws -> LandingPage {
        let source = try await scope.find(LandingPage.self, id, on: db)
        try scope.require(.edit)
        let copy = LandingPage()
        copy.organizationId = scope.organizationId
        copy.accountId = source.accountId
        copy.code = try await nextCode(scope: scope, on: db)
        copy.name = String((source.name + " (copie)").prefix(150))
        copy.url = source.url
        copy.diffusionSourceId = source.diffusionSourceId
        copy.kindRaw = source.kindRaw
        copy.formId = source.formId
        copy.notes = source.notes
        copy.imageURL = source.imageURL
        copy.status = .active
        try await db.transaction { tx in
            try await copy.create(on: tx)
            try await ActivityService.record(
                .create, objectType: "landing_page", objectId: copy.id,
                summary: "Landing page \(copy.code) créée par duplication de \(source.code)", scope: scope, at: now,
                on: tx)
        }
        return copy
    }

    static func setStatus(
        _ id: UUID?, _ status: PublicationStatus, scope: TenantScope, now: Date, on db: any Database
    ) async throws -> LandingPage {
        let page = try await scope.find(LandingPage.self, id, on: db)
        try scope.require(.edit)
        page.status = status
        try await db.transaction { tx in
            try await page.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "landing_page", objectId: page.id,
                summary: "Landing page \(page.code) " + (status == .archived ? "archivée" : "réactivée"), scope: scope,
                at: now, on: tx)
        }
        return page
    }

    static func nextCode(scope: TenantScope, on db: any Database) async throws -> String {
        let existing = try await LandingPage.query(on: db).filter(\.$organizationId == scope.organizationId)
            .filter(\.$code, .custom("LIKE"), "LP-%").all().map(\.code)
        return PageCode.next(prefix: "LP", existing: existing)
    }

    private static func apply(
        _ input: LandingPageInput, to page: LandingPage, creating: Bool, scope: TenantScope, on db: any Database
    ) async throws {
        var errors = FieldErrors()
        if creating || input.name != nil {
            page.name = Check.requiredText(input.name, field: "name", max: 150, errors: &errors)
        }
        if creating || input.accountId != nil {
            if let raw = input.accountId, let id = UUID(uuidString: raw),
                try await scope.query(Account.self, on: db).filter(\.$id == id).count() == 1
            {
                page.accountId = id
            } else {
                errors.add(
                    "account_id",
                    (input.accountId ?? "").isEmpty ? "Choisissez le compte de la landing page." : "Compte introuvable."
                )
            }
        }
        if creating || input.url != nil { page.url = Check.optionalURL(input.url, field: "url", errors: &errors) }
        if let raw = input.diffusionSourceId {
            if raw.isEmpty {
                page.diffusionSourceId = nil
            } else if let id = UUID(uuidString: raw),
                try await scope.query(DiffusionSource.self, on: db).filter(\.$id == id).count() == 1
            {
                page.diffusionSourceId = id
            } else {
                errors.add("diffusion_source_id", "Source de diffusion introuvable.")
            }
        }
        if let raw = input.kind, !raw.isEmpty {
            if let kind = LandingPageKind(rawValue: raw) {
                page.kind = kind
            } else {
                errors.add("kind", "Type invalide : redirect ou integrated.")
            }
        }
        if let raw = input.formId {
            if raw.isEmpty {
                page.formId = nil
            } else if let id = UUID(uuidString: raw),
                try await scope.query(Form.self, on: db).filter(\.$id == id).count() == 1
            {
                page.formId = id
            } else {
                errors.add("form_id", "Formulaire introuvable.")
            }
        }
        if input.notes != nil {
            page.notes = Check.optionalText(input.notes, field: "notes", max: 5_000, errors: &errors)
        }
        if input.imageURL != nil {
            page.imageURL = Check.optionalURL(input.imageURL, field: "image_url", errors: &errors)
        }
        if let raw = input.status, !raw.isEmpty {
            if let status = PublicationStatus(rawValue: raw) {
                page.status = status
            } else {
                errors.add("status", "Statut invalide : active ou archived.")
            }
        }
        if let code = input.code?.trimmingCharacters(in: .whitespaces).uppercased(), !code.isEmpty {
            if PageCode.isValid(code) {
                page.code = code
            } else {
                errors.add("code", "Code invalide : lettres majuscules, chiffres et tirets (ex. LP-001).")
            }
        } else if creating {
            page.code = try await nextCode(scope: scope, on: db)
        }
        try errors.throwIfAny()
        var taken = LandingPage.query(on: db).filter(\.$organizationId == scope.organizationId).filter(
            \.$code == page.code)
        if let id = page.id { taken = taken.filter(\.$id != id) }
        if try await taken.count() > 0 {
            throw AppError.conflict(field: "code", message: "Le code « \(page.code) » est déjà utilisé.")
        }
    }
}

struct LandingPageDTO: Content {
    let id: UUID
    let organizationId: UUID
    let accountId: UUID
    let code: String
    let name: String
    let url: String?
    let diffusionSourceId: UUID?
    let kind: String
    let formId: UUID?
    let formURL: String?
    let notes: String?
    let imageURL: String?
    let status: String
    let statsSince: Date?
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, organizationId = "organization_id", accountId = "account_id", code, name, url
        case diffusionSourceId = "diffusion_source_id", kind, formId = "form_id", formURL = "form_url", notes
        case imageURL = "image_url", status
        case statsSince = "stats_since", createdAt = "created_at", updatedAt = "updated_at"
    }

    init(_ p: LandingPage, formURL: String? = nil) {
        id = p.id!
        organizationId = p.organizationId
        accountId = p.accountId
        code = p.code
        name = p.name
        url = p.url
        diffusionSourceId = p.diffusionSourceId
        kind = p.kindRaw
        formId = p.formId
        self.formURL = formURL
        notes = p.notes
        imageURL = p.imageURL
        status = p.statusRaw
        statsSince = p.statsSince
        createdAt = p.createdAt
        updatedAt = p.updatedAt
    }
}
