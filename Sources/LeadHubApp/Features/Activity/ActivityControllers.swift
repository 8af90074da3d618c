import Fluent
import LeadHubCore
import Vapor

struct ActivityFilters: Content {
    var action: String?
    var objectType: String?
    var userId: UUID?
    var from: String?
    var to: String?

    enum CodingKeys: String, CodingKey {
        case action, objectType = "object_type", userId = "user_id", from, to
    }

    /// Applies the filters; dates are Europe/Paris calendar days (`YYYY-MM-DD`), both inclusive.
    func apply(to query: QueryBuilder<ActivityEntry>) throws -> QueryBuilder<ActivityEntry> {
        var query = query
        if let action, !action.isEmpty { query = query.filter(\.$action == action) }
        if let objectType, !objectType.isEmpty { query = query.filter(\.$objectType == objectType) }
        if let userId { query = query.filter(\.$userId == userId) }
        var errors = FieldErrors()
        if let from, !from.isEmpty {
            if let day = ParisDayRange(from) {
                query = query.filter(\.$createdAt >= day.start)
            } else {
                errors.add("from", "Date invalide (AAAA-MM-JJ).")
            }
        }
        if let to, !to.isEmpty {
            if let day = ParisDayRange(to) {
                query = query.filter(\.$createdAt < day.end)
            } else {
                errors.add("to", "Date invalide (AAAA-MM-JJ).")
            }
        }
        try errors.throwIfAny()
        return query
    }
}

struct ActivityDTO: Content {
    let id: UUID
    let organizationId: UUID
    let userId: UUID?
    let userEmail: String?
    let action: String
    let objectType: String?
    let objectId: UUID?
    let summary: String
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, organizationId = "organization_id", userId = "user_id", userEmail = "user_email", action
        case objectType = "object_type", objectId = "object_id", summary, createdAt = "created_at"
    }

    init(_ e: ActivityEntry) {
        id = e.id!
        organizationId = e.organizationId
        userId = e.userId
        userEmail = e.userEmail
        action = e.action
        objectType = e.objectType
        objectId = e.objectId
        summary = e.summary
        createdAt = e.createdAt
    }
}

struct ActivityAPIController {
    @Sendable func index(req: Request) async throws -> ListResponse<ActivityDTO> {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        let filters = try req.query.decode(ActivityFilters.self)
        let query = try filters.apply(to: scope.query(ActivityEntry.self, on: req.db))
            .search(params.search, in: ["summary", "user_email"])
        let page = try await query.cursorPage(params)
        return ListResponse(items: page.items.map(ActivityDTO.init), nextCursor: page.nextCursor)
    }

    @Sendable func show(req: Request) async throws -> ActivityDTO {
        ActivityDTO(try await req.tenantScope().find(ActivityEntry.self, req.id("activity_id"), on: req.db))
    }
}

struct ActivityPagesController {
    struct Row: Encodable {
        let when: String
        let who: String
        let action: String
        let summary: String
        let ip: String?
    }

    struct Context: Encodable {
        let rows: [Row]
        let list: ListChrome
        let actions: [SelectOption]
        let objectTypes: [SelectOption]
        let from: String
        let to: String
    }

    static let objectTypeLabels: [(String, String)] = [
        ("crm", "CRM"), ("account", "Compte"), ("diffusion_source", "Source de diffusion"),
        ("product_type", "Type de produit"), ("user", "Utilisateur"), ("api_token", "Jeton API"),
    ]

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        let filters = try req.query.decode(ActivityFilters.self)
        let query = try filters.apply(to: scope.query(ActivityEntry.self, on: req.db))
            .search(params.search, in: ["summary", "user_email"])
            .sort(\.$createdAt, .descending)
        let (entries, window) = try await query.numberedPage(params, perPage: 50)
        let rows = entries.map { entry in
            Row(
                when: FrenchFormat.dateTime(entry.createdAt), who: entry.userEmail ?? "Système",
                action: ActivityService.Action(rawValue: entry.action)?.label ?? entry.action, summary: entry.summary,
                ip: entry.ip)
        }
        let extra = [
            "action": filters.action ?? "", "object_type": filters.objectType ?? "", "from": filters.from ?? "",
            "to": filters.to ?? "",
        ]
        let list = ListChrome(
            path: "/activity", params: params, window: window,
            columns: [("Date", nil), ("Utilisateur", nil), ("Action", nil), ("Détail", nil)], currentSort: "",
            extra: extra)
        let context = Context(
            rows: rows, list: list,
            actions: ActivityService.Action.allCases.map {
                SelectOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == filters.action)
            },
            objectTypes: Self.objectTypeLabels.map {
                SelectOption(value: $0.0, label: $0.1, selected: $0.0 == filters.objectType)
            },
            from: filters.from ?? "", to: filters.to ?? "")
        return try await req.renderPage("activity/index", title: "Journal d'activité", context)
    }
}
