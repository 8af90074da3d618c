import Fluent
import SQLKit

/// Periods marked invoiced between two CRMs, with the figures at that moment. Also an index for
/// the billing matrix (rerouted leads of a period).
struct CreateBillingInvoice: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("billing_invoices")
            .id()
            .field("organization_id", .uuid, .required, .references("organizations", "id", onDelete: .cascade))
            .field("from_crm_id", .uuid, .required)
            .field("to_crm_id", .uuid, .required)
            .field("period_from", .string, .required)
            .field("period_to", .string, .required)
            .field("lead_count", .int, .required)
            .field("amount_cents", .int, .required)
            .field("notes", .string)
            .field("user_email", .string)
            .field("created_at", .datetime, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.create(index: "billing_invoices_org_idx").on("billing_invoices")
            .column("organization_id").column("period_from").run()
        try await sql.create(index: "leads_org_rerouted_idx").on("leads")
            .column("organization_id").column("rerouted").column("created_at").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "leads_org_rerouted_idx").run()
        try await database.schema("billing_invoices").delete()
    }
}
