import Fluent

/// The main visual of a landing page and of a form, picked from the media library.
struct UpdatePagesAddImage: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("landing_pages").field("image_url", .string).update()
        try await database.schema("forms").field("image_url", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("forms").deleteField("image_url").update()
        try await database.schema("landing_pages").deleteField("image_url").update()
    }
}
