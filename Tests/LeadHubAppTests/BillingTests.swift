import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct BillingTests {
    /// CRM "Un" buys PV in 75 only; CRM "Deux" buys PV in 33 at 30 € and takes rerouted leads.
    func prepare(_ t: TestApp, fake: FakeCrm) async throws -> Tenant {
        let tenant = try await t.makeTenant("Alpha")
        _ = try await t.api(
            .PATCH, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken,
            json: [
                "api_url": fake.url, "orders": ["PV": ["active": true, "departements": ["75"]]],
                "lead_prices": ["PV": 25],
            ])
        _ = try await t.api(
            .PATCH, "/api/admin/crms/\(tenant.otherCrm.id!)", token: tenant.adminToken,
            json: [
                "api_url": fake.url, "orders": ["PV": ["active": true, "departements": ["33"]]],
                "lead_prices": ["PV": 30.5],
                "redistribution_tokens": ["PV": "jeton-deux-redistribution"],
            ])
        _ = try await t.api(
            .PATCH, "/api/admin/accounts/\(tenant.account.id!)", token: tenant.adminToken,
            json: ["crm_tokens": ["PV": "jeton-compte-un"]])
        try await (t.db as! any SQLDatabase).update("deliveries").set("status", to: "cancelled").run()
        return tenant
    }

    func submit(_ t: TestApp, _ tenant: Tenant, phone: String, postalCode: String) async throws {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .authorization, value: "Token \(tenant.apiKeyRaw)")
        let response = try await t.api(
            .POST, "/api/v1/leads",
            json: [
                "form_code": "PV-001", "phone": phone, "nom": "Martin", "code_postal": postalCode,
                "statut_occupant": "proprietaire", "type_logement": "maison",
            ], headers: headers)
        #expect(response.status == .created)
    }

    @Test func matrixCountsReroutedDeliveredLeadsAtTheReceivingPrice() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            try await submit(t, tenant, phone: "0611223341", postalCode: "33000")
            try await submit(t, tenant, phone: "0611223342", postalCode: "33100")
            try await submit(t, tenant, phone: "0611223343", postalCode: "75011")
            // Not delivered yet: nothing to bill.
            let empty = try await t.api(.GET, "/api/admin/billing", token: tenant.viewerToken).json()
            #expect((empty["rows"] as? [Any])?.isEmpty == true)
            try await t.app.deliveryWorker.runOnce()

            let body = try await t.api(.GET, "/api/admin/billing", token: tenant.viewerToken).json()
            let rows = try #require(body["rows"] as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows[0]["from_crm_id"] as? String == tenant.crm.id!.uuidString)
            #expect(rows[0]["to_crm_id"] as? String == tenant.otherCrm.id!.uuidString)
            #expect(rows[0]["product_type"] as? String == "PV")
            #expect(rows[0]["leads"] as? Int == 2)
            #expect(rows[0]["unit_price"] as? Double == 30.5)
            #expect(rows[0]["amount"] as? Double == 61)
            #expect(body["total"] as? Double == 61)
            // Per CRM, as the first version showed it: the receiver invoices, the origin pays.
            let statements = try #require(body["crms"] as? [[String: Any]])
            let origin = try #require(statements.first { $0["crm_id"] as? String == tenant.crm.id!.uuidString })
            let receiver = try #require(statements.first { $0["crm_id"] as? String == tenant.otherCrm.id!.uuidString })
            #expect(origin["amount_to_pay"] as? Double == 61 && origin["amount_to_invoice"] as? Double == 0)
            #expect(receiver["amount_to_invoice"] as? Double == 61 && receiver["net_balance"] as? Double == 61)
            #expect((origin["leads_rerouted_out"] as? [String: Int])?["PV"] == 2)
            #expect((receiver["leads_rerouted_in"] as? [String: Int])?["total"] == 2)
            // A price change later does not change what was routed before.
            _ = try await t.api(
                .PATCH, "/api/admin/crms/\(tenant.otherCrm.id!)", token: tenant.adminToken,
                json: ["lead_prices": ["PV": 99]])
            #expect(
                try await t.api(.GET, "/api/admin/billing", token: tenant.viewerToken).json()["total"] as? Double == 61)
            // Another period has nothing; bad dates are explained.
            let other = try await t.api(
                .GET, "/api/admin/billing?from=2026-01-01&to=2026-01-31", token: tenant.viewerToken)
            #expect(try (other.json()["rows"] as? [Any])?.isEmpty == true)
            let bad = try await t.api(
                .GET, "/api/admin/billing?from=2026-13-01&to=2026-01-31", token: tenant.viewerToken)
            #expect(bad.status == .unprocessableEntity)
            // The leads behind the cell, and the CSV for Excel.
            let leads = try await t.api(
                .GET,
                "/api/admin/billing/leads?from_crm_id=\(tenant.crm.id!)&to_crm_id=\(tenant.otherCrm.id!)&product_type=PV",
                token: tenant.viewerToken
            ).items()
            #expect(leads.count == 2)
            let csv = try await t.api(.GET, "/api/admin/billing/export.csv", token: tenant.viewerToken)
            #expect(csv.text.hasPrefix("\u{FEFF}Période;"))
            #expect(csv.text.contains(";PV;2;30,50;61,00"))
        }
    }

    @Test func markingAPeriodInvoicedKeepsHistoryAndFlagsLaterChanges() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            try await submit(t, tenant, phone: "0611223351", postalCode: "33000")
            try await t.app.deliveryWorker.runOnce()
            let month = BillingPeriod.month(containing: t.clock.now())
            let body: [String: Any] = [
                "from": month.from, "to": month.to, "from_crm_id": tenant.crm.id!.uuidString,
                "to_crm_id": tenant.otherCrm.id!.uuidString, "notes": "Facture F-2026-11",
            ]
            #expect(
                try await t.api(.POST, "/api/admin/billing/invoices", token: tenant.editorToken, json: body).status
                    == .forbidden)
            let created = try await t.api(.POST, "/api/admin/billing/invoices", token: tenant.adminToken, json: body)
            #expect(created.status == .created)
            let invoice = try created.json()
            #expect(invoice["amount"] as? Double == 30.5)
            #expect(invoice["leads"] as? Int == 1)
            #expect(invoice["changed"] as? Bool == false)
            // Marking the same period and pair again updates it: one entry, the new notes.
            var again = body
            again["notes"] = "Facture F-2026-11 (corrigée)"
            let updated = try await t.api(.POST, "/api/admin/billing/invoices", token: tenant.adminToken, json: again)
                .json()
            #expect(updated["id"] as? String == invoice["id"] as? String)
            #expect(
                try await BillingInvoice.query(on: t.db).filter(\.$organizationId == tenant.organization.id!).count()
                    == 2)

            // A lead of the period changes after the invoice: the history says so.
            t.clock.advance(by: 60)
            let lead = try #require(try await Lead.query(on: t.db).filter(\.$rerouted == true).first())
            _ = try await t.api(
                .PATCH, "/api/admin/leads/\(lead.id!)", token: tenant.adminToken, json: ["nom": "Durand"])
            let history = try await t.api(.GET, "/api/admin/billing/invoices", token: tenant.viewerToken).items()
            let entry = try #require(history.first { $0["id"] as? String == invoice["id"] as? String })
            #expect(entry["changed"] as? Bool == true)

            // The page shows the matrix and the history; admins may delete an entry.
            let session = try await t.login(email: tenant.admin.email)
            let page = try await t.browse(.GET, "/billing", session: session).text
            // The receiving CRM invoices the origin CRM (the first version's rule), with each CRM's statement.
            #expect(page.contains("\(tenant.otherCrm.name) facture \(tenant.crm.name)"))
            #expect(page.contains("Bilan par CRM"))
            #expect(page.contains("Facture F-2026-11"))
            #expect(page.contains("Modifiée depuis"))
            let leadsPage = try await t.browse(
                .GET, "/billing/leads?from_crm_id=\(tenant.crm.id!)&to_crm_id=\(tenant.otherCrm.id!)", session: session)
            #expect(leadsPage.status == .ok)
            #expect(leadsPage.text.contains("Durand"))
            let deleted = try await t.api(
                .DELETE, "/api/admin/billing/invoices/\(invoice["id"] as! String)", token: tenant.adminToken)
            #expect(deleted.status == .noContent)
            let marked = try await t.browse(
                .POST, "/billing/invoices", session: session,
                form: [
                    "from": month.from, "to": month.to, "from_crm_id": tenant.crm.id!.uuidString,
                    "to_crm_id": tenant.otherCrm.id!.uuidString,
                ])
            #expect(marked.status == .seeOther)
            let activity = try await ActivityEntry.query(on: t.db).filter(\.$objectType == "billing_invoice").count()
            #expect(activity == 4)  // marked, marked again (update), deleted, marked
        }
    }
}
