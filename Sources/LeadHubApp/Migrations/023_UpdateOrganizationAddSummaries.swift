import Fluent

/// The last daily and weekly summary periods sent to an organization (sent once each).
struct UpdateOrganizationAddSummaries: AsyncMigration {
    static let columns = ["last_daily_summary", "last_weekly_summary"]

    func prepare(on database: any Database) async throws {
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
