import Fluent

struct UpdateOrganizationAddDuplicateWindow: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // nil: the same calendar day in Europe/Paris; otherwise a sliding window in hours.
        try await database.schema("organizations").field("duplicate_window_hours", .int).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("organizations").deleteField("duplicate_window_hours").update()
    }
}
