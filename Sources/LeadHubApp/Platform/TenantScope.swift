import Fluent
import Foundation
import LeadHubCore
import Vapor

/// A table whose rows belong to one organization. Features reach such rows only through
/// `TenantScope.query(_:on:)`, which adds the organization and the user's CRM/account restriction.
protocol TenantOwned: Model where IDValue == UUID {
    /// Narrows a query to what a restricted user may see. The default adds nothing.
    static func restrict(_ query: QueryBuilder<Self>, to scope: TenantScope) -> QueryBuilder<Self>
}

extension TenantOwned {
    static func restrict(_ query: QueryBuilder<Self>, to scope: TenantScope) -> QueryBuilder<Self> { query }
}

/// Who is acting, for which organization, and what they may see. Built once per request from the
/// authenticated user (session cookie or bearer token).
struct TenantScope: Sendable {
    let organizationId: UUID
    let userId: UUID
    let userEmail: String
    let role: Role
    /// nil: every CRM of the organization.
    let visibleCrmIds: Set<UUID>?
    /// nil: every account of the organization.
    let visibleAccountIds: Set<UUID>?
    let ip: String?

    var isRestricted: Bool { visibleCrmIds != nil || visibleAccountIds != nil }

    func require(_ permission: Permission) throws {
        guard role.allows(permission) else { throw AppError.forbidden() }
    }

    func query<M: TenantOwned>(_ type: M.Type, on db: any Database) -> QueryBuilder<M> {
        M.restrict(M.query(on: db).filter("organization_id", .equal, organizationId), to: self)
    }

    /// The row with this id if it belongs to the organization and is visible; otherwise 404.
    func find<M: TenantOwned>(_ type: M.Type, _ id: UUID?, on db: any Database) async throws -> M {
        guard let id, let model = try await query(type, on: db).filter(\._$id == id).first() else {
            throw AppError.notFound
        }
        return model
    }

    /// The visible accounts of a CRM (LPs, forms and leads are filtered by CRM through them).
    func accountIds(ofCrm crmId: UUID, on db: any Database) async throws -> [UUID] {
        try await query(Account.self, on: db).filter(\.$crmId == crmId).all().compactMap(\.id)
    }

    func canSee(crm id: UUID) -> Bool { visibleCrmIds?.contains(id) ?? true }
    func canSee(account id: UUID) -> Bool { visibleAccountIds?.contains(id) ?? true }

    /// Users limited to some accounts see their CRMs but cannot change them or create accounts at
    /// their root: only users who see the whole CRM can.
    func canManageWholeCrm(_ id: UUID) -> Bool {
        guard isRestricted else { return true }
        return restrictionCrmIds.contains(id)
    }

    let restrictionCrmIds: Set<UUID>

    static func make(user: User, on db: any Database, ip: String?) async throws -> TenantScope {
        let restriction = user.restriction
        var crms: Set<UUID>? = nil
        var accounts: Set<UUID>? = nil
        if !restriction.isUnrestricted {
            let rows = try await Account.query(on: db)
                .filter(\.$organizationId == user.organizationId)
                .field(\.$id).field(\.$crmId).field(\.$parentId)
                .all()
            let tuples = rows.compactMap { row in row.id.map { (id: $0, crmId: row.crmId, parentId: row.parentId) } }
            accounts = restriction.visibleAccounts(among: tuples)
            crms = restriction.visibleCrms(visibleAccounts: accounts, among: tuples)
        }
        return TenantScope(
            organizationId: user.organizationId, userId: try user.requireID(), userEmail: user.email,
            role: user.role, visibleCrmIds: crms, visibleAccountIds: accounts, ip: ip,
            restrictionCrmIds: restriction.crmIds)
    }
}

extension Request {
    /// The scope of the authenticated caller; throws 401 when nobody is authenticated.
    func tenantScope() throws -> TenantScope {
        guard let identity = auth.get(Identity.self) else { throw AppError.unauthorized() }
        return identity.scope
    }

    var identity: Identity? { auth.get(Identity.self) }

    /// The base of absolute links (media files, API server): `LEADHUB_PUBLIC_URL`, or the scheme
    /// and `Host` of this request when it is not set.
    var publicBaseURL: String {
        if let configured = application.config.publicURL {
            return configured.hasSuffix("/") ? String(configured.dropLast()) : configured
        }
        let host = headers.first(name: .host) ?? "127.0.0.1:8080"
        return (isHTTPS ? "https://" : "http://") + host
    }

    /// The request came over HTTPS: the public URL says so, or our proxy does.
    var isHTTPS: Bool {
        if application.config.secureCookies { return true }
        return application.config.trustProxy && headers.first(name: "X-Forwarded-Proto")?.lowercased() == "https"
    }

    /// The client address: the socket peer, or `X-Forwarded-For`'s first hop behind our proxy.
    var clientIP: String? {
        if application.config.trustProxy, let forwarded = headers.first(name: "X-Forwarded-For") {
            let first = forwarded.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) }
            if let first, !first.isEmpty { return first }
        }
        return remoteAddress?.ipAddress
    }
}

/// The authenticated caller: the user, the scope, and how they came in.
struct Identity: Authenticatable {
    let user: User
    let scope: TenantScope
    let session: UserSession?
    let token: ApiToken?
}

extension Crm: TenantOwned {
    static func restrict(_ query: QueryBuilder<Crm>, to scope: TenantScope) -> QueryBuilder<Crm> {
        guard let ids = scope.visibleCrmIds else { return query }
        return query.filter(\.$id ~~ Array(ids))
    }
}

extension Account: TenantOwned {
    static func restrict(_ query: QueryBuilder<Account>, to scope: TenantScope) -> QueryBuilder<Account> {
        guard let ids = scope.visibleAccountIds else { return query }
        return query.filter(\.$id ~~ Array(ids))
    }
}

extension DiffusionSource: TenantOwned {}
extension ProductType: TenantOwned {}
extension User: TenantOwned {}
extension ApiToken: TenantOwned {}

extension ActivityEntry: TenantOwned {
    /// A user limited to some CRMs or accounts sees only their own actions in the log.
    static func restrict(_ query: QueryBuilder<ActivityEntry>, to scope: TenantScope) -> QueryBuilder<ActivityEntry> {
        guard scope.isRestricted else { return query }
        return query.filter(\.$userId == scope.userId)
    }
}

extension Form: TenantOwned {
    static func restrict(_ query: QueryBuilder<Form>, to scope: TenantScope) -> QueryBuilder<Form> {
        guard let ids = scope.visibleAccountIds else { return query }
        return query.filter(\.$accountId ~~ Array(ids))
    }
}

extension LandingPage: TenantOwned {
    static func restrict(_ query: QueryBuilder<LandingPage>, to scope: TenantScope) -> QueryBuilder<LandingPage> {
        guard let ids = scope.visibleAccountIds else { return query }
        return query.filter(\.$accountId ~~ Array(ids))
    }
}

extension Lead: TenantOwned {
    static func restrict(_ query: QueryBuilder<Lead>, to scope: TenantScope) -> QueryBuilder<Lead> {
        guard let ids = scope.visibleAccountIds else { return query }
        return query.filter(\.$accountId ~~ Array(ids))
    }
}

extension PageComment: TenantOwned {}
extension LeadEvent: TenantOwned {}
extension DeliveryAttempt: TenantOwned {}

extension Delivery: TenantOwned {
    /// A user restricted to some CRMs sees the deliveries to those CRMs.
    static func restrict(_ query: QueryBuilder<Delivery>, to scope: TenantScope) -> QueryBuilder<Delivery> {
        guard let ids = scope.visibleCrmIds else { return query }
        return query.filter(\.$crmId ~~ Array(ids))
    }
}
extension OrganizationApiKey: TenantOwned {}
