import Fluent
import Foundation
import LeadHubCore
import Vapor

/// An A/B campaign (`AB-001`): landing pages in front of one form, or forms behind one landing page,
/// with a traffic split LeadHub controls through its entry link `/c/{code}`.
final class Campaign: Model, @unchecked Sendable {
    static let schema = "campaigns"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    /// The account of the fixed side (the form, or the landing page): restricted users see the
    /// campaigns of their accounts.
    @Field(key: "account_id") var accountId: UUID
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "mode") var modeRaw: String
    /// Mode `lps`: the form every variant leads to.
    @OptionalField(key: "form_id") var formId: UUID?
    /// Mode `forms`: the landing page in front of every variant.
    @OptionalField(key: "landing_page_id") var landingPageId: UUID?
    @Field(key: "status") var statusRaw: String
    @Field(key: "min_days") var minDays: Int
    @Field(key: "max_days") var maxDays: Int
    @OptionalField(key: "planned_visitors") var plannedVisitors: Int?
    /// Hashed with each visitor id to pick the variant (random per campaign, never changed).
    @Field(key: "seed") var seed: String
    /// The current phase (1 from the start; a weight change adds one).
    @Field(key: "phase") var phase: Int
    @OptionalField(key: "phase_started_at") var phaseStartedAt: Date?
    @OptionalField(key: "started_at") var startedAt: Date?
    @OptionalField(key: "stopped_at") var stoppedAt: Date?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "winner_variant_id") var winnerVariantId: UUID?
    @OptionalField(key: "decision_note") var decisionNote: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var mode: CampaignMode { CampaignMode(rawValue: modeRaw) ?? .landingPages }
    var status: CampaignStatus {
        get { CampaignStatus(rawValue: statusRaw) ?? .draft }
        set { statusRaw = newValue.rawValue }
    }
}

/// One arm of a campaign: a landing page (mode `lps`) or a form (mode `forms`), with its weight.
final class CampaignVariant: Model, @unchecked Sendable {
    static let schema = "campaign_variants"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "campaign_id") var campaignId: UUID
    /// 0 is the control (« A »).
    @Field(key: "position") var position: Int
    @OptionalField(key: "landing_page_id") var landingPageId: UUID?
    @OptionalField(key: "form_id") var formId: UUID?
    @Field(key: "weight") var weight: Int

    init() {}

    var name: String { CampaignRules.variantName(position) }
}

/// A period with fixed weights; its numbers are read apart from the other phases'.
final class CampaignPhase: Model, @unchecked Sendable {
    static let schema = "campaign_phases"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "campaign_id") var campaignId: UUID
    @Field(key: "number") var number: Int
    /// The weights of the variants in position order, as JSON (`[50,50]`).
    @Field(key: "weights") var weightsJSON: String
    @Field(key: "started_at") var startedAt: Date
    @OptionalField(key: "ended_at") var endedAt: Date?

    init() {}

    var weights: [Int] { (try? JSONDecoder().decode([Int].self, from: Data(weightsJSON.utf8))) ?? [] }
}

extension Campaign: TenantOwned {
    static func restrict(_ query: QueryBuilder<Campaign>, to scope: TenantScope) -> QueryBuilder<Campaign> {
        guard let ids = scope.visibleAccountIds else { return query }
        return query.filter(\.$accountId ~~ Array(ids))
    }
}
