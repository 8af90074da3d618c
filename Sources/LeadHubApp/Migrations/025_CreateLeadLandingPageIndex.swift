import Fluent
import SQLKit

/// "Vérifier l'intégration" lists the last leads of a landing page: an index for that, as
/// `leads_form_idx` serves the forms.
struct CreateLeadLandingPageIndex: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await (database as! any SQLDatabase).create(index: "leads_landing_page_idx").on("leads")
            .column("landing_page_id").column("created_at").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "leads_landing_page_idx").run()
    }
}
