import Fluent
import Foundation

/// A brand that publishes LPs and forms, owned by its origin CRM. Sub-accounts have a parent.
final class Account: Model, @unchecked Sendable {
    static let schema = "accounts"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "crm_id") var crmId: UUID
    @OptionalField(key: "parent_id") var parentId: UUID?
    @Field(key: "name") var name: String
    @OptionalField(key: "domain") var domain: String?
    @Field(key: "product_types") var productTypesJSON: String
    @OptionalField(key: "logo_main_url") var logoMainURL: String?
    @OptionalField(key: "logo_secondary_url") var logoSecondaryURL: String?
    @OptionalField(key: "logo_small_url") var logoSmallURL: String?
    @OptionalField(key: "favicon_url") var faviconURL: String?
    @OptionalField(key: "primary_color") var primaryColor: String?
    @OptionalField(key: "secondary_color") var secondaryColor: String?
    @Field(key: "images") var imagesJSON: String
    @OptionalField(key: "privacy_policy") var privacyPolicy: String?
    @OptionalField(key: "legal_mentions") var legalMentions: String?
    @OptionalField(key: "cgu") var cgu: String?
    @OptionalField(key: "gtm_head") var gtmHead: String?
    @OptionalField(key: "gtm_cta") var gtmCta: String?
    @OptionalField(key: "gtm_conversion") var gtmConversion: String?
    @Field(key: "redirect_urls") var redirectURLsJSON: String
    @OptionalField(key: "default_redirect_url") var defaultRedirectURL: String?
    @OptionalField(key: "notes") var notes: String?
    /// Sealed JSON `{"PV": "token"}`: the account's tokens at its origin CRM, per product.
    @OptionalField(key: "crm_tokens") var crmTokensSealed: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {
    }

    var productTypes: [String] {
        get { JSONText.decode([String].self, from: productTypesJSON, default: []) }
        set { productTypesJSON = JSONText.encode(newValue) }
    }

    var images: [NamedURL] {
        get { JSONText.decode([NamedURL].self, from: imagesJSON, default: []) }
        set { imagesJSON = JSONText.encode(newValue) }
    }

    var redirectURLs: [NamedURL] {
        get { JSONText.decode([NamedURL].self, from: redirectURLsJSON, default: []) }
        set { redirectURLsJSON = JSONText.encode(newValue) }
    }
}
