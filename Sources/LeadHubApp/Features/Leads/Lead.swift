import Fluent
import Foundation
import LeadHubCore

/// A stored lead, as the back office reads and edits it. Intake writes leads with SQLKit
/// (`LeadWriter`), not through this model.
final class Lead: Model, @unchecked Sendable {
    static let schema = "leads"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "form_id") var formId: UUID
    @Field(key: "account_id") var accountId: UUID
    @Field(key: "crm_id") var crmId: UUID
    @OptionalField(key: "landing_page_id") var landingPageId: UUID?
    @OptionalField(key: "diffusion_source_id") var diffusionSourceId: UUID?
    @Field(key: "product_type") var productType: String
    @Field(key: "status") var status: String
    @OptionalField(key: "duplicate_of") var duplicateOf: UUID?
    @Field(key: "phone") var phone: String
    @OptionalField(key: "civilite") var civilite: String?
    @OptionalField(key: "nom") var nom: String?
    @OptionalField(key: "prenom") var prenom: String?
    @OptionalField(key: "email") var email: String?
    @OptionalField(key: "code_postal") var codePostal: String?
    @OptionalField(key: "departement") var departement: String?
    @OptionalField(key: "ville") var ville: String?
    @OptionalField(key: "adresse") var adresse: String?
    @OptionalField(key: "type_logement") var typeLogement: String?
    @OptionalField(key: "statut_occupant") var statutOccupant: String?
    @OptionalField(key: "surface_habitable") var surfaceHabitable: Int?
    @OptionalField(key: "chauffage_actuel") var chauffageActuel: String?
    @OptionalField(key: "facture_electricite") var factureElectricite: String?
    @Field(key: "extra") var extraJSON: String
    @Field(key: "form_code") var formCode: String
    @OptionalField(key: "lp_code") var lpCode: String?
    @OptionalField(key: "session_id") var sessionId: String?
    @OptionalField(key: "visitor_id") var visitorId: String?
    @OptionalField(key: "utm_source") var utmSource: String?
    @OptionalField(key: "utm_medium") var utmMedium: String?
    @OptionalField(key: "utm_campaign") var utmCampaign: String?
    @OptionalField(key: "utm_content") var utmContent: String?
    @OptionalField(key: "utm_term") var utmTerm: String?
    @OptionalField(key: "gclid") var gclid: String?
    @OptionalField(key: "fbclid") var fbclid: String?
    @OptionalField(key: "referrer") var referrer: String?
    @OptionalField(key: "page_url") var pageURL: String?
    @Field(key: "consent_phone") var consentPhone: Bool
    @Field(key: "consent_email") var consentEmail: Bool
    @OptionalField(key: "consent_text") var consentText: String?
    @OptionalField(key: "consent_url") var consentURL: String?
    @Field(key: "consent_at") var consentAt: Date
    /// SHA-256 of the consent wording, and the version of the partner list shown with it.
    @OptionalField(key: "consent_hash") var consentHash: String?
    @OptionalField(key: "consent_partners_version") var consentPartnersVersion: String?
    /// Quality score (0 good … 100) and its reasons (`[QualitySignal]` as JSON).
    @OptionalField(key: "quality_score") var qualityScore: Int?
    @OptionalField(key: "quality_reasons") var qualityReasonsJSON: String?
    /// The field errors of a lead kept with errors (`{"phone": ["…"]}`), until it is corrected.
    @OptionalField(key: "review_errors") var reviewErrorsJSON: String?
    /// The state of its return (`pending`, `accepted`, `refused`), nil when it was never returned.
    @OptionalField(key: "return_status") var returnStatus: String?
    @OptionalField(key: "ip") var ip: String?
    @OptionalField(key: "user_agent") var userAgent: String?
    @Field(key: "submission_hash") var submissionHash: String
    @OptionalField(key: "api_key_id") var apiKeyId: UUID?
    @OptionalField(key: "archived_at") var archivedAt: Date?
    @OptionalField(key: "erased_at") var erasedAt: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    /// Where routing sent it (nil: not sent), why, and the receiving CRM's price at that moment.
    @OptionalField(key: "routed_crm_id") var routedCrmId: UUID?
    @OptionalField(key: "routing_reason") var routingReason: String?
    @OptionalField(key: "routing_explanation") var routingExplanation: String?
    @Field(key: "rerouted") var rerouted: Bool
    @OptionalField(key: "unit_price_cents") var unitPriceCents: Int?

    init() {}

    var extra: [String: JSONValue] {
        get { JSONText.decode([String: JSONValue].self, from: extraJSON, default: [:]) }
        set { extraJSON = JSONText.encode(newValue) }
    }
}

/// One step in a lead's life, shown on its timeline.
final class LeadEvent: Model, @unchecked Sendable {
    static let schema = "lead_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "lead_id") var leadId: UUID
    @Field(key: "kind") var kind: String
    @Field(key: "summary") var summary: String
    @OptionalField(key: "user_email") var userEmail: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
