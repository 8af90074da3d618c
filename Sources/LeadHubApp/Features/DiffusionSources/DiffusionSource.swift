import Fluent
import Foundation
import LeadHubCore

/// A traffic source (Taboola, Outbrain, Google Ads…) and its category.
final class DiffusionSource: Model, @unchecked Sendable {
    static let schema = "diffusion_sources"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "name") var name: String
    @Field(key: "category") var categoryRaw: String
    @Field(key: "active") var active: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var category: DiffusionCategory {
        get { DiffusionCategory(rawValue: categoryRaw) ?? .other }
        set { categoryRaw = newValue.rawValue }
    }
}
