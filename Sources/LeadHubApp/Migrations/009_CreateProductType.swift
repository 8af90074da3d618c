import Fluent

struct CreateProductType: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("product_types")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("code", .string, .required)
            .field("label", .string, .required)
            .field("aid_amount_text", .string)
            .field("aids", .string, .required)
            .field("required_fields", .string, .required)
            .field("active", .bool, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "organization_id", "code")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("product_types").delete()
    }
}
