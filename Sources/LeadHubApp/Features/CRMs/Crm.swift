import Fluent
import Foundation
import LeadHubCore

/// A business entity of the organization with its own lead platform (ZR7 Digital, Maison du Lead…).
final class Crm: Model, @unchecked Sendable {
    static let schema = "crms"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "name") var name: String
    @Field(key: "slug") var slug: String
    @OptionalField(key: "api_url") var apiURL: String?
    @OptionalField(key: "description") var details: String?
    @Field(key: "delivery_kind") var deliveryKindRaw: String
    /// JSON `{"PV": {"active", "departements", "weekly_quota", "monthly_quota"}}`.
    @OptionalField(key: "orders") var ordersJSON: String?
    /// JSON `{"PV": 25.0}` (euros).
    @OptionalField(key: "lead_prices") var leadPricesJSON: String?
    /// JSON `{"PV": 100}`: rerouted leads it takes per month.
    @OptionalField(key: "routing_limits") var routingLimitsJSON: String?
    /// Sealed JSON `{"PV": "token"}`: its tokens for leads rerouted to it.
    @OptionalField(key: "redistribution_tokens") var redistributionTokensSealed: String?
    /// JSON `{"code_postal": "cp"}`: lead field → the partner's name ("" leaves it out).
    @OptionalField(key: "field_mapping") var fieldMappingJSON: String?
    /// Sealed JSON of extra headers for webhooks.
    @OptionalField(key: "webhook_headers") var webhookHeadersSealed: String?
    /// Sealed HMAC secret for webhook signatures.
    @OptionalField(key: "webhook_secret") var webhookSecretSealed: String?
    /// The CRM's own key to return leads (`POST /api/v1/returns`): its SHA-256 and first characters.
    @OptionalField(key: "returns_key_hash") var returnsKeyHash: String?
    @OptionalField(key: "returns_key_prefix") var returnsKeyPrefix: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {
        deliveryKindRaw = DeliveryKind.zr7.rawValue
    }

    var deliveryKind: DeliveryKind {
        get { DeliveryKind(rawValue: deliveryKindRaw) ?? .zr7 }
        set { deliveryKindRaw = newValue.rawValue }
    }

    var orders: [String: Order] {
        get { JSONText.decode([String: Order].self, from: ordersJSON, default: [:]) }
        set { ordersJSON = newValue.isEmpty ? nil : JSONText.encode(newValue) }
    }

    var leadPrices: [String: Double] {
        get { JSONText.decode([String: Double].self, from: leadPricesJSON, default: [:]) }
        set { leadPricesJSON = newValue.isEmpty ? nil : JSONText.encode(newValue) }
    }

    var routingLimits: [String: Int] {
        get { JSONText.decode([String: Int].self, from: routingLimitsJSON, default: [:]) }
        set { routingLimitsJSON = newValue.isEmpty ? nil : JSONText.encode(newValue) }
    }

    var fieldMapping: [String: String] {
        get { JSONText.decode([String: String].self, from: fieldMappingJSON, default: [:]) }
        set { fieldMappingJSON = newValue.isEmpty ? nil : JSONText.encode(newValue) }
    }
}
