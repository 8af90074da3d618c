import Fluent
import LeadHubCore
import Vapor

/// "Tableau de bord": the funnel and its statistics for a period (see `DashboardStats`), open
/// alerts, the configuration at a glance and the latest activity.
struct DashboardPagesController {
    struct Tile: Encodable {
        let label: String
        let value: String
        let href: String
    }

    struct Recent: Encodable {
        let when: String
        let who: String
        let summary: String
    }

    struct Context: Encodable {
        let tiles: [Tile]
        let recent: [Recent]
        /// The latest leads (the first version's dashboard showed them).
        let latestLeads: [LeadsPagesController.Row]
        let crmName: String?
        let alerts: [AlertsController.Row]
        let stats: DashboardStats
    }

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let crmFilter = req.crmFilter
        var accounts = scope.query(Account.self, on: req.db)
        if let crmFilter { accounts = accounts.filter(\.$crmId == crmFilter) }
        let tiles = [
            Tile(
                label: "CRMs", value: FrenchFormat.integer(try await scope.query(Crm.self, on: req.db).count()),
                href: "/crms"),
            Tile(label: "Comptes", value: FrenchFormat.integer(try await accounts.count()), href: "/accounts"),
            Tile(
                label: "Sources de diffusion",
                value: FrenchFormat.integer(try await scope.query(DiffusionSource.self, on: req.db).count()),
                href: "/diffusion-sources"),
            Tile(
                label: "Types de produit",
                value: FrenchFormat.integer(try await scope.query(ProductType.self, on: req.db).count()),
                href: "/product-types"),
        ]
        let recent = try await scope.query(ActivityEntry.self, on: req.db).sort(\.$createdAt, .descending).limit(8)
            .all()
            .map {
                Recent(when: FrenchFormat.dateTime($0.createdAt), who: $0.userEmail ?? "Système", summary: $0.summary)
            }
        let crmName = try await crmFilter.asyncMap { try await scope.find(Crm.self, $0, on: req.db).name }
        let visibleAccounts = try await accounts.all()
        let accountNames = Dictionary(uniqueKeysWithValues: visibleAccounts.map { ($0.id!, $0.name) })
        var latest = scope.query(Lead.self, on: req.db).filter(\.$archivedAt == nil)
        if crmFilter != nil { latest = latest.filter(\.$accountId ~~ Array(accountNames.keys)) }
        let latestLeads =
            crmFilter != nil && accountNames.isEmpty
            ? []
            : try await latest.sort(\.$createdAt, .descending).limit(10).all()
                .map { LeadsPagesController.row($0, accountNames: accountNames) }
        return try await req.renderPage(
            "dashboard/index", title: "Tableau de bord",
            Context(
                tiles: tiles, recent: recent, latestLeads: latestLeads, crmName: crmName,
                alerts: try await scope.query(Alert.self, on: req.db).filter(\.$resolvedAt == nil)
                    .sort(\.$lastSeenAt, .descending).limit(5).all().map(AlertsController.row),
                stats: try await DashboardStats.build(req: req, scope: scope, crmFilter: crmFilter)))
    }

    struct ScopeForm: Content {
        var crmId: String?

        enum CodingKeys: String, CodingKey { case crmId = "crm_id" }
    }

    /// The CRM switcher of the top bar: remembered on the session.
    @Sendable func switchCrm(req: Request) async throws -> Response {
        guard let identity = req.identity, let session = identity.session else { throw AppError.unauthorized() }
        let form = try req.content.decode(ScopeForm.self)
        if let raw = form.crmId, let id = UUID(uuidString: raw) {
            _ = try await identity.scope.find(Crm.self, id, on: req.db)
            session.crmFilter = id
        } else {
            session.crmFilter = nil
        }
        try await session.save(on: req.db)
        let back = req.headers.first(name: .referer).flatMap { URL(string: $0)?.path } ?? "/"
        return req.redirect(to: AuthController.safeRedirect(back))
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
