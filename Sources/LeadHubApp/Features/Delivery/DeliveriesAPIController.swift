import Fluent
import Foundation
import LeadHubCore
import Vapor

/// `/api/admin/deliveries`: the queue as JSON, with the same actions as the "File d'attente" page,
/// and the delivery actions on a lead (`/api/admin/leads/{id}/retry`, `/force`).
struct DeliveriesAPIController {
    struct Item: Content {
        let delivery: DeliveryDTO
        let leadId: UUID
        let productType: String
        let createdAt: Date

        enum CodingKeys: String, CodingKey {
            case delivery, leadId = "lead_id", productType = "product_type", createdAt = "created_at"
        }
    }

    struct AttemptDTO: Content {
        let startedAt: Date
        let durationMs: Int
        let httpStatus: Int?
        let outcome: String
        let excerpt: String?

        enum CodingKeys: String, CodingKey {
            case startedAt = "started_at", durationMs = "duration_ms", httpStatus = "http_status", outcome, excerpt
        }
    }

    struct Detail: Content {
        let delivery: DeliveryDTO
        let leadId: UUID
        let attempts: [AttemptDTO]

        enum CodingKeys: String, CodingKey {
            case delivery, leadId = "lead_id", attempts
        }
    }

    @Sendable func index(req: Request) async throws -> ListResponse<Item> {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        let filters = try req.query.decode(QueueService.Filters.self)
        let page = try await QueueService.filtered(filters, scope: scope, on: req.db).cursorPage(params)
        return ListResponse(
            items: page.items.map {
                Item(delivery: DeliveryDTO($0), leadId: $0.leadId, productType: $0.productType, createdAt: $0.createdAt)
            }, nextCursor: page.nextCursor)
    }

    @Sendable func stats(req: Request) async throws -> QueueService.Stats {
        try await QueueService.stats(
            scope: try req.tenantScope(), breakers: req.application.deliveryWorker.breakerStates(now: req.now),
            now: req.now,
            on: req.db)
    }

    @Sendable func show(req: Request) async throws -> Detail {
        let scope = try req.tenantScope()
        let delivery = try await scope.find(Delivery.self, req.id("delivery_id"), on: req.db)
        return try await detail(delivery, scope: scope, on: req.db)
    }

    @Sendable func retry(req: Request) async throws -> Detail {
        let scope = try req.tenantScope()
        let delivery = try await QueueService.retry(req.id("delivery_id"), scope: scope, now: req.now, on: req.db)
        req.application.deliveryWorker.wake()
        return try await detail(delivery, scope: scope, on: req.db)
    }

    @Sendable func cancel(req: Request) async throws -> Detail {
        let scope = try req.tenantScope()
        let delivery = try await QueueService.cancel(req.id("delivery_id"), scope: scope, now: req.now, on: req.db)
        return try await detail(delivery, scope: scope, on: req.db)
    }

    struct RetryAllBody: Content {
        var crmId: UUID?
        var statuses: [String]?
        /// Only deliveries of the last `hours` (leads received since then).
        var hours: Int?

        enum CodingKeys: String, CodingKey {
            case crmId = "crm_id", statuses, hours
        }
    }

    struct CountAnswer: Content {
        let count: Int
    }

    @Sendable func retryAll(req: Request) async throws -> CountAnswer {
        let body = try req.content.decode(RetryAllBody.self)
        let count = try await QueueService.retryAll(
            crmId: body.crmId, statuses: body.statuses, hours: body.hours, scope: try req.tenantScope(), now: req.now,
            on: req.db)
        req.application.deliveryWorker.wake()
        return CountAnswer(count: count)
    }

    struct PurgeBody: Content {
        var olderThanDays: Int?

        enum CodingKeys: String, CodingKey {
            case olderThanDays = "older_than_days"
        }
    }

    @Sendable func purge(req: Request) async throws -> CountAnswer {
        let body = try req.content.decode(PurgeBody.self)
        return CountAnswer(
            count: try await QueueService.purgeDelivered(
                olderThanDays: body.olderThanDays ?? 30, scope: try req.tenantScope(), now: req.now, on: req.db))
    }

    @Sendable func retryLead(req: Request) async throws -> Detail {
        let scope = try req.tenantScope()
        let delivery = try await QueueService.retryLatest(
            ofLead: req.id("lead_id"), scope: scope, now: req.now, on: req.db)
        req.application.deliveryWorker.wake()
        return try await detail(delivery, scope: scope, on: req.db)
    }

    struct ForceBody: Content {
        var crmId: UUID?

        enum CodingKeys: String, CodingKey {
            case crmId = "crm_id"
        }
    }

    @Sendable func forceLead(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let body = try req.content.decode(ForceBody.self)
        let delivery = try await QueueService.forceSend(
            leadId: req.id("lead_id"), crmId: body.crmId, scope: scope, now: req.now, on: req.db)
        req.application.deliveryWorker.wake()
        return try await detail(delivery, scope: scope, on: req.db).encodeResponse(status: .created, for: req)
    }

    private func detail(_ delivery: Delivery, scope: TenantScope, on db: any Database) async throws -> Detail {
        let attempts = try await scope.query(DeliveryAttempt.self, on: db).filter(\.$deliveryId == delivery.requireID())
            .sort(\.$startedAt).all()
        return Detail(
            delivery: DeliveryDTO(delivery), leadId: delivery.leadId,
            attempts: attempts.map {
                AttemptDTO(
                    startedAt: $0.startedAt, durationMs: $0.durationMs, httpStatus: $0.httpStatus, outcome: $0.outcome,
                    excerpt: $0.excerpt)
            })
    }
}
