import Fluent
import Foundation
import LeadHubCore

/// The tenant. Every other tenant-owned row points to one.
final class Organization: Model, @unchecked Sendable {
    static let schema = "organizations"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    @Field(key: "slug") var slug: String
    /// nil: duplicates are counted on the same calendar day (Paris); else a sliding window in hours.
    @OptionalField(key: "duplicate_window_hours") var duplicateWindowHours: Int?
    /// Sealed SendGrid API key, the sender address, and who receives alerts (comma-separated).
    @OptionalField(key: "sendgrid_api_key") var sendgridKeySealed: String?
    @OptionalField(key: "mail_from") var mailFrom: String?
    @OptionalField(key: "alert_emails") var alertEmails: String?
    /// Alerts are also posted here as JSON.
    @OptionalField(key: "notify_webhook_url") var notifyWebhookURL: String?
    /// The last summary periods sent ("2026-11-26", "2026-W48").
    @OptionalField(key: "last_daily_summary") var lastDailySummary: String?
    @OptionalField(key: "last_weekly_summary") var lastWeeklySummary: String?
    /// Answers the first version's public calls (its key, form keys, `/api/submit-lead`, `/api/track/*`).
    @Field(key: "v1_compat_enabled") var v1CompatEnabled: Bool
    /// Intake policy (nil: the default). Strict: a lead with field errors is refused (422) instead
    /// of kept in « À vérifier ».
    @OptionalField(key: "intake_strict") var intakeStrict: Bool?
    /// Quality score from which a lead waits in « À vérifier » (40) and from which it is rejected (70).
    @OptionalField(key: "quality_hold_threshold") var qualityHoldThreshold: Int?
    @OptionalField(key: "quality_reject_threshold") var qualityRejectThreshold: Int?
    /// « Exiger le consentement téléphonique » (on by default): a lead without phone opt-in is kept, never sent.
    @OptionalField(key: "require_phone_consent") var requirePhoneConsent: Bool?
    /// Address ranges that lower a lead's quality (proxies, VPNs), one CIDR per line.
    @OptionalField(key: "suspect_ip_ranges") var suspectIPRanges: String?
    /// Returns: days after delivery a CRM may return a lead (7), and the share of a month's leads
    /// past which its returns are flagged (15 %).
    @OptionalField(key: "return_window_days") var returnWindowDays: Int?
    @OptionalField(key: "return_cap_percent") var returnCapPercent: Int?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, name: String, slug: String) {
        self.id = id
        self.name = name
        self.slug = slug
        self.v1CompatEnabled = false
    }

    /// What intake applies to this organization's leads.
    var intakePolicy: IntakePolicy {
        IntakePolicy(
            strict: intakeStrict ?? false,
            holdThreshold: qualityHoldThreshold ?? LeadQuality.defaultHoldThreshold,
            rejectThreshold: qualityRejectThreshold ?? LeadQuality.defaultRejectThreshold,
            requirePhoneConsent: requirePhoneConsent ?? true,
            suspectRanges: (suspectIPRanges ?? "").split(whereSeparator: \.isNewline).compactMap { IPRange(String($0)) }
        )
    }
}

/// An organization's intake policy: keep or refuse leads with errors, quality thresholds, consent.
struct IntakePolicy: Sendable {
    var strict = false
    var holdThreshold = LeadQuality.defaultHoldThreshold
    var rejectThreshold = LeadQuality.defaultRejectThreshold
    var requirePhoneConsent = true
    var suspectRanges: [IPRange] = []
}
