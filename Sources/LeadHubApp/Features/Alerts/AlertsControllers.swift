import Fluent
import Foundation
import LeadHubCore
import Vapor

struct AlertDTO: Content {
    let id: UUID
    let level: String
    let category: String
    let message: String
    let details: String
    let firstSeenAt: Date
    let lastSeenAt: Date
    let count: Int
    let resolvedAt: Date?
    let resolvedBy: String?

    enum CodingKeys: String, CodingKey {
        case id, level, category, message, details, firstSeenAt = "first_seen_at", lastSeenAt = "last_seen_at", count
        case resolvedAt = "resolved_at", resolvedBy = "resolved_by"
    }

    init(_ a: Alert) {
        id = a.id!
        level = a.level
        category = a.category
        message = a.message
        details = a.details
        firstSeenAt = a.firstSeenAt
        lastSeenAt = a.lastSeenAt
        count = a.count
        resolvedAt = a.resolvedAt
        resolvedBy = a.resolvedBy
    }
}

/// `/api/admin/alerts` and the "Alertes" page.
struct AlertsController {
    struct Filters: Content {
        var status: String?
    }

    static func query(_ filters: Filters, scope: TenantScope, on db: any Database) -> QueryBuilder<Alert> {
        let query = scope.query(Alert.self, on: db)
        return filters.status == "resolved" ? query.filter(\.$resolvedAt != nil) : query.filter(\.$resolvedAt == nil)
    }

    @Sendable func index(req: Request) async throws -> ListResponse<AlertDTO> {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        let page = try await Self.query(try req.query.decode(Filters.self), scope: scope, on: req.db).cursorPage(params)
        return ListResponse(items: page.items.map(AlertDTO.init), nextCursor: page.nextCursor)
    }

    @Sendable func resolve(req: Request) async throws -> AlertDTO {
        AlertDTO(
            try await AlertService.resolve(req.id("alert_id"), scope: try req.tenantScope(), now: req.now, on: req.db))
    }

    struct Row: Encodable {
        let id: String
        let level: String
        let levelLabel: String
        let message: String
        let details: String
        let first: String
        let last: String
        let count: Int
        let resolved: String?
    }

    struct Context: Encodable {
        let open: [Row]
        let resolved: [Row]
        let canEdit: Bool
    }

    static func row(_ a: Alert) -> Row {
        Row(
            id: a.id!.uuidString, level: a.level, levelLabel: AlertLevel(rawValue: a.level)?.label ?? a.level,
            message: a.message, details: a.details, first: FrenchFormat.dateTime(a.firstSeenAt),
            last: FrenchFormat.dateTime(a.lastSeenAt), count: a.count,
            resolved: a.resolvedAt.map { "Résolue le \(FrenchFormat.dateTime($0)) (\(a.resolvedBy ?? "—"))" })
    }

    @Sendable func page(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let open = try await Self.query(Filters(status: "open"), scope: scope, on: req.db).sort(
            \.$lastSeenAt, .descending
        )
        .limit(200).all()
        let resolved = try await Self.query(Filters(status: "resolved"), scope: scope, on: req.db)
            .sort(\.$resolvedAt, .descending).limit(50).all()
        return try await req.renderPage(
            "alerts/index", title: "Alertes",
            Context(open: open.map(Self.row), resolved: resolved.map(Self.row), canEdit: scope.role.allows(.edit)))
    }

    @Sendable func resolveFromPage(req: Request) async throws -> Response {
        _ = try await AlertService.resolve(req.id("alert_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
        return req.redirect(to: "/alerts", flash: "Alerte résolue.")
    }
}
