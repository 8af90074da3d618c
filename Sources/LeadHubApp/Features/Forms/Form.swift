import Fluent
import Foundation
import LeadHubCore

/// A lead form: its code (`PV-001`), product, tracking, thank-you page and publishable form key.
final class Form: Model, @unchecked Sendable {
    static let schema = "forms"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "account_id") var accountId: UUID
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @OptionalField(key: "url") var url: String?
    @Field(key: "product_type") var productType: String
    @Field(key: "tracking_type") var trackingTypeRaw: String
    @OptionalField(key: "thank_you_url") var thankYouURL: String?
    @OptionalField(key: "thank_you_redirect") var thankYouRedirect: String?
    @Field(key: "exclude_from_routing") var excludeFromRouting: Bool
    @Field(key: "metropolitan_only") var metropolitanOnly: Bool
    @Field(key: "form_key") var formKey: String
    @Field(key: "allowed_origins") var allowedOriginsJSON: String
    @OptionalField(key: "notes") var notes: String?
    @OptionalField(key: "image_url") var imageURL: String?
    /// Sealed: this form's own token at the origin CRM, instead of its account's.
    @OptionalField(key: "crm_token") var crmTokenSealed: String?
    @Field(key: "status") var statusRaw: String
    @OptionalField(key: "stats_since") var statsSince: Date?
    /// "hosted" when LeadHub serves the form from its definition (`HostedForms/`); nil or
    /// "external" when a developer builds it from the brief.
    @OptionalField(key: "hosting") var hosting: String?
    /// The builder's working copy (JSON `FormDefinition`), published as a new version.
    @OptionalField(key: "draft_definition") var draftDefinition: String?
    @OptionalField(key: "published_version") var publishedVersion: Int?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var trackingType: TrackingType {
        get { TrackingType(rawValue: trackingTypeRaw) ?? .none }
        set { trackingTypeRaw = newValue.rawValue }
    }

    var status: PublicationStatus {
        get { PublicationStatus(rawValue: statusRaw) ?? .active }
        set { statusRaw = newValue.rawValue }
    }

    var isHosted: Bool { hosting == "hosted" }

    var allowedOrigins: [String] {
        get { JSONText.decode([String].self, from: allowedOriginsJSON, default: []) }
        set { allowedOriginsJSON = JSONText.encode(newValue) }
    }
}
