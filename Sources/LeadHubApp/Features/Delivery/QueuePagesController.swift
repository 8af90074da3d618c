import Fluent
import Foundation
import LeadHubCore
import Vapor

/// "File d'attente": counters per state, the health of each CRM, the deliveries with filters, and
/// the actions (retry, cancel, retry a CRM's failures, purge old delivered rows).
struct QueuePagesController {
    struct Tile: Encodable {
        let label: String
        let value: String
        let href: String
        let tone: String
    }

    struct HealthRow: Encodable {
        let id: String
        let name: String
        let waiting: Int
        let needsHuman: Int
        let rate24h: String
        let rate7d: String
        let breaker: String
        let breakerTone: String
        let lastError: String?
        let lastErrorAt: String?
    }

    struct Row: Encodable {
        let id: String
        let leadId: String
        let lead: String
        let crm: String
        let product: String
        let status: String
        let statusRaw: String
        let attempts: Int
        let next: String
        let lastError: String?
        let created: String
        let canRetry: Bool
        let canCancel: Bool
    }

    struct Context: Encodable {
        let tiles: [Tile]
        let oldest: String?
        let health: [HealthRow]
        let rows: [Row]
        let list: ListChrome
        let statusOptions: [SelectOption]
        let crmOptions: [SelectOption]
        let productOptions: [SelectOption]
        let canEdit: Bool
        let canPurge: Bool
    }

    static func percent(_ rate: Double?) -> String {
        rate.map { FrenchFormat.integer(Int(($0 * 100).rounded())) + " %" } ?? "—"
    }

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        var filters = try req.query.decode(QueueService.Filters.self)
        if filters.crmId == nil { filters.crmId = req.crmFilter }
        let stats = try await QueueService.stats(
            scope: scope, breakers: req.application.deliveryWorker.breakerStates(now: req.now), now: req.now, on: req.db
        )
        let (deliveries, window) = try await QueueService.filtered(filters, scope: scope, on: req.db)
            .sort(\.$createdAt, .descending).numberedPage(params, perPage: 50)
        let crms = try await scope.query(Crm.self, on: req.db).sort(\.$name).all()
        let leads = try await scope.query(Lead.self, on: req.db).filter(\.$id ~~ deliveries.map(\.leadId)).all()
        let products = try await scope.query(ProductType.self, on: req.db).sort(\.$code).all()
        let counts = stats.counts
        let waiting = (counts["pending"] ?? 0) + (counts["retrying"] ?? 0)
        let human = (counts["refused"] ?? 0) + (counts["auth_error"] ?? 0) + (counts["exhausted"] ?? 0)
        let tiles = [
            Tile(
                label: "En attente", value: FrenchFormat.integer(waiting), href: "/queue?status=waiting", tone: "info"),
            Tile(
                label: "À traiter", value: FrenchFormat.integer(human), href: "/queue?status=needs_human",
                tone: human > 0 ? "danger" : "ok"),
            Tile(
                label: "Livrés", value: FrenchFormat.integer(counts["delivered"] ?? 0), href: "/queue?status=delivered",
                tone: "ok"),
            Tile(
                label: "Doublons CRM", value: FrenchFormat.integer(counts["duplicate"] ?? 0),
                href: "/queue?status=duplicate", tone: "warn"),
            Tile(
                label: "Annulés", value: FrenchFormat.integer(counts["cancelled"] ?? 0),
                href: "/queue?status=cancelled", tone: "muted"),
            Tile(
                label: "Non envoyés", value: FrenchFormat.integer(counts["not_sent"] ?? 0),
                href: "/queue?status=not_sent", tone: "muted"),
        ]
        let health = stats.crms.map { crm in
            let tone = ["open": "danger", "half_open": "warn"][crm.breaker] ?? "ok"
            let label = ["open": "En pause (trop d'échecs)", "half_open": "Test en cours"][crm.breaker] ?? "Normal"
            return HealthRow(
                id: crm.crmId.uuidString, name: crm.name, waiting: crm.waiting, needsHuman: crm.needsHuman,
                rate24h: Self.percent(crm.successRate24h) + (crm.attempts24h > 0 ? " (\(crm.attempts24h) essais)" : ""),
                rate7d: Self.percent(crm.successRate7d), breaker: label, breakerTone: tone, lastError: crm.lastError,
                lastErrorAt: crm.lastErrorAt.map(FrenchFormat.dateTime))
        }
        let canEdit = scope.role.allows(.edit)
        let rows = deliveries.map { delivery -> Row in
            let lead = leads.first { $0.id == delivery.leadId }
            let who =
                lead.map { lead -> String in
                    let name = [lead.prenom, lead.nom].compactMap { $0 }.joined(separator: " ")
                    return (name.isEmpty ? FrenchPhone.masked(lead.phone) : name) + " · " + lead.formCode
                } ?? "—"
            return Row(
                id: delivery.id!.uuidString, leadId: delivery.leadId.uuidString, lead: who,
                crm: crms.first { $0.id == delivery.crmId }?.name ?? "—", product: delivery.productType,
                status: delivery.status.label, statusRaw: delivery.statusRaw, attempts: delivery.attempts,
                next: delivery.status.isWaiting ? delivery.nextAttemptAt.map(FrenchFormat.dateTime) ?? "—" : "—",
                lastError: delivery.lastError, created: FrenchFormat.dateTime(delivery.createdAt),
                canRetry: canEdit && delivery.crmId != nil && delivery.status != .delivered
                    && !delivery.status.isWaiting,
                canCancel: canEdit && (delivery.status.isWaiting || delivery.status.needsHuman))
        }
        var statusOptions = [
            SelectOption(value: "waiting", label: "En attente (tous)", selected: filters.status == "waiting"),
            SelectOption(value: "needs_human", label: "À traiter (tous)", selected: filters.status == "needs_human"),
        ]
        statusOptions += DeliveryStatus.allCases.map {
            SelectOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == filters.status)
        }
        let list = ListChrome(
            path: "/queue", params: params, window: window, columns: [], currentSort: "",
            extra: [
                "status": filters.status ?? "", "crm_id": filters.crmId?.uuidString ?? "",
                "product_type": filters.productType ?? "",
            ])
        let context = Context(
            tiles: tiles, oldest: stats.oldestWaitingAt.map(FrenchFormat.dateTime), health: health, rows: rows,
            list: list,
            statusOptions: statusOptions,
            crmOptions: crms.map {
                SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id == filters.crmId)
            },
            productOptions: products.map {
                SelectOption(value: $0.code, label: $0.code, selected: $0.code == filters.productType)
            },
            canEdit: canEdit, canPurge: scope.role.allows(.manageCrms))
        return try await req.renderPage("queue/index", title: "File d'attente", context)
    }

    struct ActionForm: Content {
        var action: String?
        var crmId: UUID?
        var olderThanDays: Int?
        var hours: Int?
        var back: String?

        enum CodingKeys: String, CodingKey {
            case action, crmId = "crm_id", olderThanDays = "older_than_days", hours, back
        }
    }

    @Sendable func act(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        _ = try await scope.find(Delivery.self, req.id("delivery_id"), on: req.db)
        let form = try req.content.decode(ActionForm.self)
        let back = AuthController.safeRedirect(form.back ?? "/queue")
        do {
            switch form.action {
            case "retry":
                _ = try await QueueService.retry(req.id("delivery_id"), scope: scope, now: req.now, on: req.db)
                req.application.deliveryWorker.wake()
                return req.redirect(to: back, flash: "Livraison relancée.")
            case "cancel":
                _ = try await QueueService.cancel(req.id("delivery_id"), scope: scope, now: req.now, on: req.db)
                return req.redirect(to: back, flash: "Livraison annulée.")
            default:
                throw AppError.badRequest("Action inconnue.")
            }
        } catch let error as AppError {
            if case .conflict(_, let message) = error { return req.redirect(to: back, flash: message, error: true) }
            throw error
        }
    }

    @Sendable func bulk(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try req.content.decode(ActionForm.self)
        do {
            switch form.action {
            case "retry_all":
                let count = try await QueueService.retryAll(
                    crmId: form.crmId, statuses: nil, hours: form.hours, scope: scope, now: req.now, on: req.db)
                req.application.deliveryWorker.wake()
                return req.redirect(
                    to: "/queue",
                    flash: count == 0 ? "Aucune livraison à relancer." : "\(count) livraison(s) relancée(s).")
            case "purge":
                let days = form.olderThanDays ?? 30
                let count = try await QueueService.purgeDelivered(
                    olderThanDays: days, scope: scope, now: req.now, on: req.db)
                return req.redirect(
                    to: "/queue", flash: "\(count) livraison(s) abouties de plus de \(days) jours purgée(s).")
            default:
                throw AppError.badRequest("Action inconnue.")
            }
        } catch let errors as FieldErrors {
            return req.redirect(to: "/queue", flash: errors.summary, error: true)
        }
    }
}
