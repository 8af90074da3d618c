import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

/// A change and its line in the activity log are one transaction: when the log cannot be
/// written, the change is not made either (no change without its trace).
@Suite struct ActivityAtomicityTests {
    @Test func aChangeWhoseActivityLineCannotBeWrittenIsNotMade() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let sql = t.db as! any SQLDatabase
            let crms = try await Crm.query(on: t.db).count()
            let sources = try await DiffusionSource.query(on: t.db).count()
            let products = try await ProductType.query(on: t.db).count()
            let keys = try await OrganizationApiKey.query(on: t.db).count()
            // The activity log is gone for the time of the test: every write below must fail whole.
            try await sql.raw("ALTER TABLE activity_log RENAME TO activity_log_away").run()

            let writes: [(HTTPMethod, String, [String: Any])] = [
                (.POST, "/api/admin/crms", ["name": "Nouveau CRM"]),
                (.PATCH, "/api/admin/crms/\(tenant.crm.id!)", ["name": "CRM renommé"]),
                (.PATCH, "/api/admin/accounts/\(tenant.account.id!)", ["name": "Compte renommé"]),
                (.POST, "/api/admin/diffusion-sources", ["name": "Nouvelle source", "category": "native"]),
                (.PATCH, "/api/admin/forms/\(tenant.form.id!)", ["name": "Formulaire renommé"]),
                (.PATCH, "/api/admin/lps/\(tenant.landingPage.id!)", ["name": "LP renommée"]),
                (.PATCH, "/api/admin/users/\(tenant.admin.id!)", ["name": "Admin renommé"]),
                (.POST, "/api/admin/api-keys", ["name": "clé"]),
                (.POST, "/api/admin/product-types", ["code": "NEW", "label": "Nouveau produit"]),
            ]
            for (method, path, body) in writes {
                let answer = try await t.api(method, path, token: tenant.adminToken, json: body)
                #expect(answer.status.code >= 500, "\(method) \(path) answered \(answer.status)")
            }
            try await sql.raw("ALTER TABLE activity_log_away RENAME TO activity_log").run()

            #expect(try await Crm.query(on: t.db).count() == crms)
            #expect(try await Crm.find(tenant.crm.id, on: t.db)?.name == tenant.crm.name)
            #expect(try await Account.find(tenant.account.id, on: t.db)?.name == tenant.account.name)
            #expect(try await DiffusionSource.query(on: t.db).count() == sources)
            #expect(try await Form.find(tenant.form.id, on: t.db)?.name == tenant.form.name)
            #expect(try await LandingPage.find(tenant.landingPage.id, on: t.db)?.name == tenant.landingPage.name)
            #expect(try await User.find(tenant.admin.id, on: t.db)?.name == tenant.admin.name)
            #expect(try await OrganizationApiKey.query(on: t.db).count() == keys)
            #expect(try await ProductType.query(on: t.db).count() == products)

            // With the log back, the same change goes through and is logged.
            let renamed = try await t.api(
                .PATCH, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken, json: ["name": "CRM renommé"])
            #expect(renamed.status == .ok)
            let logged = try await ActivityEntry.query(on: t.db).filter(\.$objectId == tenant.crm.id)
                .filter(\.$summary ~~ "CRM renommé").count()
            #expect(logged == 1)
        }
    }
}
