import Fluent
import Foundation
import LeadHubCore
import Vapor

/// What a client sends to create or change an account. Absent keys keep the current value.
struct AccountInput: Decodable {
    var crmId: String?
    var parentId: String?
    var name: String?
    var domain: String?
    var productTypes: [String]?
    var logoMainURL: String?
    var logoSecondaryURL: String?
    var logoSmallURL: String?
    var faviconURL: String?
    var primaryColor: String?
    var secondaryColor: String?
    var images: [NamedURL]?
    var privacyPolicy: String?
    var legalMentions: String?
    var cgu: String?
    var gtmHead: String?
    var gtmCta: String?
    var gtmConversion: String?
    var redirectURLs: [NamedURL]?
    var defaultRedirectURL: String?
    var notes: String?
    var crmTokens: JSONValue?
    /// Seals the tokens; set by the controller from the application.
    var secrets: SecretBox?

    enum CodingKeys: String, CodingKey {
        case crmId = "crm_id", parentId = "parent_id", name, domain, productTypes = "product_types"
        case logoMainURL = "logo_main_url", logoSecondaryURL = "logo_secondary_url", logoSmallURL = "logo_small_url"
        case faviconURL = "favicon_url", primaryColor = "primary_color", secondaryColor = "secondary_color", images
        case privacyPolicy = "privacy_policy", legalMentions = "legal_mentions", cgu
        case gtmHead = "gtm_head", gtmCta = "gtm_cta", gtmConversion = "gtm_conversion"
        case redirectURLs = "redirect_urls", defaultRedirectURL = "default_redirect_url", notes
        case crmTokens = "crm_tokens"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        crmId = try c.text(.crmId)
        parentId = try c.text(.parentId)
        name = try c.text(.name)
        domain = try c.text(.domain)
        productTypes = try c.list(.productTypes)
        logoMainURL = try c.text(.logoMainURL)
        logoSecondaryURL = try c.text(.logoSecondaryURL)
        logoSmallURL = try c.text(.logoSmallURL)
        faviconURL = try c.text(.faviconURL)
        primaryColor = try c.text(.primaryColor)
        secondaryColor = try c.text(.secondaryColor)
        images = try c.namedURLs(.images)
        privacyPolicy = try c.text(.privacyPolicy)
        legalMentions = try c.text(.legalMentions)
        cgu = try c.text(.cgu)
        gtmHead = try c.text(.gtmHead)
        gtmCta = try c.text(.gtmCta)
        gtmConversion = try c.text(.gtmConversion)
        redirectURLs = try c.namedURLs(.redirectURLs)
        defaultRedirectURL = try c.text(.defaultRedirectURL)
        notes = try c.text(.notes)
        crmTokens = try c.decodeIfPresent(JSONValue.self, forKey: .crmTokens)
    }
}

enum AccountService {
    static let sortable = ["name": "name", "domain": "domain", "created": "created_at"]

    static func filtered(_ params: ListParams, crmId: UUID?, scope: TenantScope, on db: any Database)
        -> QueryBuilder<Account>
    {
        var query = scope.query(Account.self, on: db).search(params.search, in: ["name", "domain"])
        if let crmId { query = query.filter(\.$crmId == crmId) }
        return query
    }

    static func create(_ input: AccountInput, scope: TenantScope, now: Date, on db: any Database) async throws
        -> Account
    {
        try scope.require(.edit)
        let account = Account()
        account.organizationId = scope.organizationId
        account.productTypes = []
        account.images = []
        account.redirectURLs = []
        try await apply(input, to: account, creating: true, scope: scope, on: db)
        try await db.transaction { tx in
            try await account.create(on: tx)
            try await ActivityService.record(
                .create, objectType: "account", objectId: account.id,
                summary: (account.parentId == nil ? "Compte" : "Sous-compte") + " « \(account.name) » créé",
                scope: scope,
                at: now, on: tx)
        }
        return account
    }

    static func update(_ id: UUID?, _ input: AccountInput, scope: TenantScope, now: Date, on db: any Database)
        async throws -> Account
    {
        let account = try await scope.find(Account.self, id, on: db)
        try scope.require(.edit)
        let previousCrm = account.crmId
        try await db.transaction { tx in
            try await apply(input, to: account, creating: false, scope: scope, on: tx)
            try await account.save(on: tx)
            if account.crmId != previousCrm {
                // Sub-accounts always belong to the CRM of their root account.
                for child in try await descendants(of: account.requireID(), scope: scope, on: tx) {
                    child.crmId = account.crmId
                    try await child.save(on: tx)
                }
            }
            try await ActivityService.record(
                .update, objectType: "account", objectId: account.id, summary: "Compte « \(account.name) » modifié",
                scope: scope, at: now, on: tx)
        }
        return account
    }

    static func delete(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws {
        let account = try await scope.find(Account.self, id, on: db)
        try scope.require(.edit)
        let children = try await Account.query(on: db)
            .filter(\.$organizationId == scope.organizationId).filter(\.$parentId == account.requireID()).count()
        if children > 0 {
            throw AppError.conflict(
                field: nil,
                message: "Ce compte a encore \(children) sous-compte(s) : supprimez-les ou déplacez-les d'abord.")
        }
        let accountId = try account.requireID()
        let pages =
            try await LandingPage.query(on: db).filter(\.$accountId == accountId).count()
            + Form.query(on: db).filter(\.$accountId == accountId).count()
        let leads = try await Lead.query(on: db).filter(\.$accountId == accountId).count()
        if pages > 0 || leads > 0 {
            throw AppError.conflict(
                field: nil,
                message:
                    "Ce compte a encore des landing pages, des formulaires ou des leads : supprimez-les ou archivez-les d'abord."
            )
        }
        try await db.transaction { tx in
            try await account.delete(on: tx)
            try await ActivityService.record(
                .delete, objectType: "account", objectId: account.id, summary: "Compte « \(account.name) » supprimé",
                scope: scope, at: now, on: tx)
        }
    }

    /// Every account below this one, at any depth.
    static func descendants(of id: UUID, scope: TenantScope, on db: any Database) async throws -> [Account] {
        let all = try await Account.query(on: db).filter(\.$organizationId == scope.organizationId).all()
        var found: [Account] = []
        var frontier: Set<UUID> = [id]
        while !frontier.isEmpty {
            let next = all.filter { $0.parentId.map(frontier.contains) ?? false }
            found.append(contentsOf: next)
            frontier = Set(next.compactMap(\.id))
        }
        return found
    }

    private static func apply(
        _ input: AccountInput, to account: Account, creating: Bool, scope: TenantScope, on db: any Database
    ) async throws {
        var errors = FieldErrors()
        if creating || input.name != nil {
            account.name = Check.requiredText(input.name, field: "name", max: 150, errors: &errors)
        }
        try await applyOwnership(input, to: account, creating: creating, scope: scope, errors: &errors, on: db)
        if input.domain != nil { account.domain = Check.optionalDomain(input.domain, field: "domain", errors: &errors) }
        if let codes = input.productTypes {
            let known = Set(
                try await scope.query(ProductType.self, on: db).all().map(\.code))
            var wanted: [String] = []
            for code in codes.map({ $0.uppercased() }) where !wanted.contains(code) { wanted.append(code) }
            for code in wanted where !known.contains(code) {
                errors.add("product_types", "Type de produit inconnu : \(code).")
            }
            account.productTypes = wanted
        }
        let urlFields: [(String?, String, ReferenceWritableKeyPath<Account, String?>)] = [
            (input.logoMainURL, "logo_main_url", \.logoMainURL),
            (input.logoSecondaryURL, "logo_secondary_url", \.logoSecondaryURL),
            (input.logoSmallURL, "logo_small_url", \.logoSmallURL),
            (input.faviconURL, "favicon_url", \.faviconURL),
            (input.defaultRedirectURL, "default_redirect_url", \.defaultRedirectURL),
        ]
        for (value, field, keyPath) in urlFields where value != nil {
            account[keyPath: keyPath] = Check.optionalURL(value, field: field, errors: &errors)
        }
        if input.primaryColor != nil {
            account.primaryColor = Check.optionalColor(input.primaryColor, field: "primary_color", errors: &errors)
        }
        if input.secondaryColor != nil {
            account.secondaryColor = Check.optionalColor(
                input.secondaryColor, field: "secondary_color", errors: &errors)
        }
        let textFields: [(String?, String, Int, ReferenceWritableKeyPath<Account, String?>)] = [
            (input.privacyPolicy, "privacy_policy", 100_000, \.privacyPolicy),
            (input.legalMentions, "legal_mentions", 100_000, \.legalMentions),
            (input.cgu, "cgu", 100_000, \.cgu),
            (input.gtmHead, "gtm_head", 20_000, \.gtmHead),
            (input.gtmCta, "gtm_cta", 20_000, \.gtmCta),
            (input.gtmConversion, "gtm_conversion", 20_000, \.gtmConversion),
            (input.notes, "notes", 5_000, \.notes),
        ]
        for (value, field, max, keyPath) in textFields where value != nil {
            account[keyPath: keyPath] = Check.optionalText(value, field: field, max: max, errors: &errors)
        }
        if let images = input.images { account.images = checkNamedURLs(images, field: "images", errors: &errors) }
        if let links = input.redirectURLs {
            account.redirectURLs = checkNamedURLs(links, field: "redirect_urls", errors: &errors)
        }
        if input.crmTokens != nil {
            guard let box = input.secrets else { throw AppError.badRequest("Secrets non pris en charge ici.") }
            let products = Set(try await scope.query(ProductType.self, on: db).all().map(\.code))
            let tokens = CrmRoutingSettings.tokens(
                input.crmTokens, into: box.openMap(account.crmTokensSealed), products: products, field: "crm_tokens",
                errors: &errors)
            account.crmTokensSealed = try box.sealMap(tokens)
        }
        try errors.throwIfAny()
    }

    /// The owning CRM and the parent: both visible, no cycle, a sub-account in its parent's CRM.
    private static func applyOwnership(
        _ input: AccountInput, to account: Account, creating: Bool, scope: TenantScope, errors: inout FieldErrors,
        on db: any Database
    ) async throws {
        var parent: Account? = nil
        if let raw = input.parentId, !raw.isEmpty {
            if let id = UUID(uuidString: raw), id != account.id,
                let found = try await scope.query(Account.self, on: db).filter(\.$id == id).first()
            {
                if let selfId = account.id,
                    try await descendants(of: selfId, scope: scope, on: db).contains(where: { $0.id == id })
                {
                    errors.add("parent_id", "Un compte ne peut pas être rattaché à l'un de ses sous-comptes.")
                } else {
                    parent = found
                }
            } else {
                errors.add("parent_id", "Compte parent introuvable.")
            }
            account.parentId = parent?.id
        } else if input.parentId != nil {
            account.parentId = nil
        } else if let parentId = account.parentId {
            parent = try await Account.find(parentId, on: db)
        }

        var crmId: UUID? = creating ? nil : account.crmId
        if let raw = input.crmId, !raw.isEmpty {
            if let id = UUID(uuidString: raw), scope.canSee(crm: id),
                try await scope.query(Crm.self, on: db).filter(\.$id == id).count() == 1
            {
                crmId = id
            } else {
                errors.add("crm_id", "CRM introuvable.")
                return
            }
        }
        if let parent {
            if let crmId, crmId != parent.crmId, input.crmId?.isEmpty == false {
                errors.add("crm_id", "Un sous-compte appartient au CRM de son compte parent.")
            }
            crmId = parent.crmId
        } else if let crmId, account.parentId == nil, !scope.canManageWholeCrm(crmId),
            creating || input.parentId != nil || input.crmId != nil
        {
            errors.add("crm_id", "Vous ne pouvez créer que des sous-comptes de vos comptes.")
        }
        guard let crmId else {
            errors.add("crm_id", "Choisissez le CRM d'origine du compte.")
            return
        }
        account.crmId = crmId
    }
}

struct AccountDTO: Content {
    let id: UUID
    let organizationId: UUID
    let crmId: UUID
    let parentId: UUID?
    let name: String
    let domain: String?
    let productTypes: [String]
    let logoMainURL: String?
    let logoSecondaryURL: String?
    let logoSmallURL: String?
    let faviconURL: String?
    let primaryColor: String?
    let secondaryColor: String?
    let images: [NamedURL]
    let privacyPolicy: String?
    let legalMentions: String?
    let cgu: String?
    let gtmHead: String?
    let gtmCta: String?
    let gtmConversion: String?
    let redirectURLs: [NamedURL]
    let defaultRedirectURL: String?
    let notes: String?
    /// Masked: a token is never shown again once saved.
    let crmTokens: [String: String]
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, organizationId = "organization_id", crmId = "crm_id", parentId = "parent_id", name, domain
        case productTypes = "product_types", logoMainURL = "logo_main_url", logoSecondaryURL = "logo_secondary_url"
        case logoSmallURL = "logo_small_url", faviconURL = "favicon_url", primaryColor = "primary_color"
        case secondaryColor = "secondary_color", images, privacyPolicy = "privacy_policy"
        case legalMentions = "legal_mentions", cgu, gtmHead = "gtm_head", gtmCta = "gtm_cta"
        case gtmConversion = "gtm_conversion", redirectURLs = "redirect_urls"
        case defaultRedirectURL = "default_redirect_url", notes, crmTokens = "crm_tokens", createdAt = "created_at",
            updatedAt = "updated_at"
    }

    init(_ a: Account, secrets: SecretBox? = nil) {
        crmTokens = secrets?.openMap(a.crmTokensSealed).mapValues(SecretBox.masked) ?? [:]
        id = a.id!
        organizationId = a.organizationId
        crmId = a.crmId
        parentId = a.parentId
        name = a.name
        domain = a.domain
        productTypes = a.productTypes
        logoMainURL = a.logoMainURL
        logoSecondaryURL = a.logoSecondaryURL
        logoSmallURL = a.logoSmallURL
        faviconURL = a.faviconURL
        primaryColor = a.primaryColor
        secondaryColor = a.secondaryColor
        images = a.images
        privacyPolicy = a.privacyPolicy
        legalMentions = a.legalMentions
        cgu = a.cgu
        gtmHead = a.gtmHead
        gtmCta = a.gtmCta
        gtmConversion = a.gtmConversion
        redirectURLs = a.redirectURLs
        defaultRedirectURL = a.defaultRedirectURL
        notes = a.notes
        createdAt = a.createdAt
        updatedAt = a.updatedAt
    }
}
