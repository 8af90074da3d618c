import Fluent

/// Where an organization's notifications go: SendGrid (API key sealed, sender, recipients) and
/// a generic webhook.
struct UpdateOrganizationAddNotifications: AsyncMigration {
    static let columns = ["sendgrid_api_key", "mail_from", "alert_emails", "notify_webhook_url"]

    func prepare(on database: any Database) async throws {
        // SQLite adds one column per ALTER TABLE.
        for column in Self.columns {
            try await database.schema("organizations").field(FieldKey(stringLiteral: column), .string).update()
        }
    }

    func revert(on database: any Database) async throws {
        for column in Self.columns {
            try await database.schema("organizations").deleteField(FieldKey(stringLiteral: column)).update()
        }
    }
}
