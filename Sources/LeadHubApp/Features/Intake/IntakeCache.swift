import Fluent
import Foundation
import LeadHubCore
import Synchronization
import Vapor

/// What intake needs to know about a form, resolved once and kept a few seconds.
struct IntakeForm: Sendable {
    let id: UUID
    let organizationId: UUID
    let accountId: UUID
    let crmId: UUID
    let code: String
    let productType: String
    let active: Bool
    let metropolitanOnly: Bool
    let allowedOrigins: [String]
    let requiredFields: [LeadField]
    let duplicateWindowHours: Int?
    let excludeFromRouting: Bool
    /// The organization's intake policy (kept or refused errors, quality, consent).
    var policy = IntakePolicy()
}

/// The organization's CRMs as routing needs them: commandes, limits and prices per product.
struct RoutingConfig: Sendable {
    struct CrmEntry: Sendable {
        let id: UUID
        let slug: String
        let name: String
        let orders: [String: Order]
        let limits: [String: Int]
        let prices: [String: Double]
    }

    let crms: [CrmEntry]

    static let empty = RoutingConfig(crms: [])
}

struct IntakeKey: Sendable {
    let id: UUID
    let organizationId: UUID
}

/// In-memory answers to the lookups of every lead submission (key, form, landing page), so that
/// the hot path does not query the database for configuration. Any change to the models involved,
/// through Fluent in this process, empties the cache at once (see `IntakeCacheInvalidation`);
/// other servers sharing PostgreSQL see changes within `lifetime` seconds.
/// A small map whose entries expire.
final class ExpiringCache<Value: Sendable>: Sendable {
    private struct Entry {
        let value: Value?
        let expires: Date
    }

    private let entries = Mutex<[String: Entry]>([:])
    let lifetime: TimeInterval

    init(lifetime: TimeInterval) {
        self.lifetime = lifetime
    }

    func value(_ key: String, now: Date, load: () async throws -> Value?) async throws -> Value? {
        if let entry = entries.withLock({ $0[key] }), entry.expires > now { return entry.value }
        let value = try await load()
        entries.withLock { entries in
            if entries.count > 50_000 { entries.removeAll() }
            entries[key] = Entry(value: value, expires: now.addingTimeInterval(lifetime))
        }
        return value
    }

    func clear() {
        entries.withLock { $0.removeAll() }
    }
}

/// In-memory answers to the lookups of every lead submission (key, form, landing page), so that
/// the hot path does not query the database for configuration. Any change to the models involved,
/// through Fluent in this process, empties the cache at once (see `IntakeCacheInvalidation`);
/// other servers sharing PostgreSQL see changes within `lifetime` seconds.
final class IntakeCache: Sendable {
    static let lifetime: TimeInterval = 5

    struct PageRef: Sendable {
        let id: UUID
        let diffusionSourceId: UUID?
    }

    private let keys = ExpiringCache<IntakeKey>(lifetime: lifetime)
    private let forms = ExpiringCache<IntakeForm>(lifetime: lifetime)
    private let pages = ExpiringCache<PageRef>(lifetime: lifetime)
    private let routing = ExpiringCache<RoutingConfig>(lifetime: lifetime)
    /// Tracking's lookups (see `TrackingLookups.swift`).
    let trackingOrganizations = ExpiringCache<UUID>(lifetime: lifetime)
    let trackedPages = ExpiringCache<TrackedPage>(lifetime: lifetime)
    let trackedForms = ExpiringCache<TrackedForm>(lifetime: lifetime)
    /// First-version lookups (see `FirstVersion/V1Lookups.swift`).
    let v1Organizations = ExpiringCache<[UUID]>(lifetime: lifetime)
    let v1FormKeys = ExpiringCache<UUID>(lifetime: lifetime)
    let v1FormIds = ExpiringCache<UUID>(lifetime: lifetime)
    /// Published hosted forms as their page needs them (see `HostedForms/HostedFormRuntime.swift`).
    let hostedForms = ExpiringCache<HostedFormRuntime>(lifetime: lifetime)
    /// An account's custom domain → its organization's tracking id, for hosted forms.
    let hostedDomains = ExpiringCache<String>(lifetime: lifetime)
    private let keyUses = Mutex<[UUID: Date]>([:])

    func clear() {
        keys.clear()
        forms.clear()
        pages.clear()
        routing.clear()
        trackingOrganizations.clear()
        trackedPages.clear()
        trackedForms.clear()
        v1Organizations.clear()
        v1FormKeys.clear()
        v1FormIds.clear()
        hostedForms.clear()
        hostedDomains.clear()
    }

    /// The organization's CRMs with their commandes, limits and prices.
    func routingConfig(organizationId: UUID, now: Date, on db: any Database) async throws -> RoutingConfig {
        try await routing.value(organizationId.text, now: now) { () async throws -> RoutingConfig? in
            let crms = try await Crm.query(on: db).filter(\.$organizationId == organizationId).all()
            return RoutingConfig(
                crms: try crms.map {
                    RoutingConfig.CrmEntry(
                        id: try $0.requireID(), slug: $0.slug, name: $0.name, orders: $0.orders,
                        limits: $0.routingLimits,
                        prices: $0.leadPrices)
                })
        } ?? .empty
    }

    /// An organization key that exists and is not revoked.
    func organizationKey(_ raw: String, now: Date, on db: any Database) async throws -> IntakeKey? {
        // Keyed by the key itself (the process sees it on every request anyway): no hash per lead.
        try await keys.value(raw, now: now) { () async throws -> IntakeKey? in
            let hash = Secrets.sha256Hex(raw)
            guard let key = try await OrganizationApiKey.query(on: db).filter(\.$keyHash == hash).first(),
                key.revokedAt == nil
            else { return nil }
            return IntakeKey(id: try key.requireID(), organizationId: key.organizationId)
        }
    }

    /// Records a use of a key; true at most once a minute per key (when `last_used_at` should be written).
    func shouldRecordUse(of key: UUID, now: Date) -> Bool {
        keyUses.withLock { uses in
            if let last = uses[key], now.timeIntervalSince(last) < 60 { return false }
            uses[key] = now
            return true
        }
    }

    func form(key formKey: String, now: Date, on db: any Database) async throws -> IntakeForm? {
        try await forms.value("key:" + formKey, now: now) { () async throws -> IntakeForm? in
            guard let form = try await Form.query(on: db).filter(\.$formKey == formKey).first() else { return nil }
            return try await Self.describe(form, on: db)
        }
    }

    func form(code: String, organizationId: UUID, now: Date, on db: any Database) async throws -> IntakeForm? {
        try await forms.value(organizationId.text + ":" + code, now: now) { () async throws -> IntakeForm? in
            guard
                let form = try await Form.query(on: db).filter(\.$organizationId == organizationId)
                    .filter(\.$code == code).first()
            else { return nil }
            return try await Self.describe(form, on: db)
        }
    }

    func form(id: UUID, now: Date, on db: any Database) async throws -> IntakeForm? {
        try await forms.value("id:" + id.text, now: now) { () async throws -> IntakeForm? in
            guard let form = try await Form.find(id, on: db) else { return nil }
            return try await Self.describe(form, on: db)
        }
    }

    /// The landing page of an `lp_code` and its diffusion source.
    func landingPage(code: String, organizationId: UUID, now: Date, on db: any Database) async throws -> PageRef? {
        try await pages.value(organizationId.text + ":" + code, now: now) { () async throws -> PageRef? in
            guard
                let page = try await LandingPage.query(on: db).filter(\.$organizationId == organizationId)
                    .filter(\.$code == code).first()
            else { return nil }
            return PageRef(id: try page.requireID(), diffusionSourceId: page.diffusionSourceId)
        }
    }

    private static func describe(_ form: Form, on db: any Database) async throws -> IntakeForm? {
        guard let account = try await Account.find(form.accountId, on: db),
            let organization = try await Organization.find(form.organizationId, on: db)
        else { return nil }
        let product = try await ProductType.query(on: db).filter(\.$organizationId == form.organizationId)
            .filter(\.$code == form.productType).first()
        return IntakeForm(
            id: try form.requireID(), organizationId: form.organizationId, accountId: form.accountId,
            crmId: account.crmId, code: form.code, productType: form.productType, active: form.status == .active,
            metropolitanOnly: form.metropolitanOnly, allowedOrigins: form.allowedOrigins,
            requiredFields: (product?.requiredFields ?? ["phone"]).compactMap(LeadField.init(rawValue:)),
            duplicateWindowHours: organization.duplicateWindowHours, excludeFromRouting: form.excludeFromRouting,
            policy: organization.intakePolicy)
    }
}

/// Empties the intake cache whenever a model it depends on is created, changed or deleted.
struct IntakeCacheInvalidation<M: Model>: AsyncModelMiddleware {
    let cache: IntakeCache

    func create(model: M, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        try await next.create(model, on: db)
        cache.clear()
    }

    func update(model: M, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        try await next.update(model, on: db)
        cache.clear()
    }

    func delete(model: M, force: Bool, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        try await next.delete(model, force: force, on: db)
        cache.clear()
    }

    static func install(on app: Application, cache: IntakeCache) {
        app.databases.middleware.use(IntakeCacheInvalidation<Form>(cache: cache))
        app.databases.middleware.use(IntakeCacheInvalidation<OrganizationApiKey>(cache: cache))
        app.databases.middleware.use(IntakeCacheInvalidation<Account>(cache: cache))
        app.databases.middleware.use(IntakeCacheInvalidation<ProductType>(cache: cache))
        app.databases.middleware.use(IntakeCacheInvalidation<LandingPage>(cache: cache))
        app.databases.middleware.use(IntakeCacheInvalidation<Organization>(cache: cache))
        app.databases.middleware.use(IntakeCacheInvalidation<Crm>(cache: cache))
        app.databases.middleware.use(IntakeCacheInvalidation<V1FormKey>(cache: cache))
        app.databases.middleware.use(IntakeCacheInvalidation<HostedFormVersion>(cache: cache))
        app.databases.middleware.use(IntakeCacheInvalidation<ConsentPartnerList>(cache: cache))
    }
}

extension Application {
    private struct IntakeCacheKey: StorageKey { typealias Value = IntakeCache }

    var intakeCache: IntakeCache {
        get { storage[IntakeCacheKey.self] ?? IntakeCache() }
        set { storage[IntakeCacheKey.self] = newValue }
    }
}
