import Fluent
import Foundation

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
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, name: String, slug: String) {
        self.id = id
        self.name = name
        self.slug = slug
        self.v1CompatEnabled = false
    }
}
