import Fluent
import Foundation
import LeadHubCore

/// A landing page hosted elsewhere (`LP-001`), its traffic source and the form its CTA leads to.
final class LandingPage: Model, @unchecked Sendable {
    static let schema = "landing_pages"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "account_id") var accountId: UUID
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @OptionalField(key: "url") var url: String?
    @OptionalField(key: "diffusion_source_id") var diffusionSourceId: UUID?
    @Field(key: "kind") var kindRaw: String
    @OptionalField(key: "form_id") var formId: UUID?
    @OptionalField(key: "notes") var notes: String?
    @OptionalField(key: "image_url") var imageURL: String?
    @Field(key: "status") var statusRaw: String
    @OptionalField(key: "stats_since") var statsSince: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var kind: LandingPageKind {
        get { LandingPageKind(rawValue: kindRaw) ?? .redirect }
        set { kindRaw = newValue.rawValue }
    }

    var status: PublicationStatus {
        get { PublicationStatus(rawValue: statusRaw) ?? .active }
        set { statusRaw = newValue.rawValue }
    }
}
