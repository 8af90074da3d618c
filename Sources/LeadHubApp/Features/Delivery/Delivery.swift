import Fluent
import Foundation
import LeadHubCore
import Vapor

/// A lead's delivery to its CRM: the outbox row the workers claim, retry and settle.
final class Delivery: Model, @unchecked Sendable {
    static let schema = "deliveries"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "lead_id") var leadId: UUID
    @OptionalField(key: "crm_id") var crmId: UUID?
    @Field(key: "product_type") var productType: String
    @Field(key: "status") var statusRaw: String
    @Field(key: "attempts") var attempts: Int
    @OptionalField(key: "next_attempt_at") var nextAttemptAt: Date?
    @OptionalField(key: "lease_owner") var leaseOwner: String?
    @OptionalField(key: "lease_until") var leaseUntil: Date?
    @OptionalField(key: "last_error") var lastError: String?
    @OptionalField(key: "last_status_code") var lastStatusCode: Int?
    @OptionalField(key: "delivered_at") var deliveredAt: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var status: DeliveryStatus { DeliveryStatus(rawValue: statusRaw) ?? .pending }
}

/// One attempt to deliver: when, how long, what the CRM answered.
final class DeliveryAttempt: Model, @unchecked Sendable {
    static let schema = "delivery_attempts"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "delivery_id") var deliveryId: UUID
    @Field(key: "lead_id") var leadId: UUID
    @Field(key: "crm_id") var crmId: UUID
    @Field(key: "started_at") var startedAt: Date
    @Field(key: "duration_ms") var durationMs: Int
    @OptionalField(key: "http_status") var httpStatus: Int?
    @Field(key: "outcome") var outcome: String
    @OptionalField(key: "excerpt") var excerpt: String?

    init() {}
}

/// The `delivery` object of a lead's JSON.
struct DeliveryDTO: Content {
    let id: UUID
    let status: String
    let crmId: UUID?
    let attempts: Int
    let nextAttemptAt: Date?
    let lastError: String?
    let deliveredAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, status, crmId = "crm_id", attempts, nextAttemptAt = "next_attempt_at", lastError = "last_error"
        case deliveredAt = "delivered_at"
    }

    init(_ d: Delivery) {
        id = d.id!
        status = d.statusRaw
        crmId = d.crmId
        attempts = d.attempts
        nextAttemptAt = d.status.isWaiting ? d.nextAttemptAt : nil
        lastError = d.lastError
        deliveredAt = d.deliveredAt
    }
}

/// The `routing` object of a lead's JSON.
struct RoutingDTO: Content {
    let crmId: UUID?
    let reason: String?
    let explanation: String?
    let rerouted: Bool
    let unitPrice: Double?

    enum CodingKeys: String, CodingKey {
        case crmId = "crm_id", reason, explanation, rerouted, unitPrice = "unit_price"
    }
}
