import Fluent
import Foundation
import LeadHubCore
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct LeadsBackOfficeTests {
    func seed(_ t: TestApp, _ tenant: Tenant, count: Int) async throws -> [Lead] {
        var leads: [Lead] = []
        for index in 0..<count {
            t.clock.advance(by: 60)
            leads.append(
                try await t.makeLead(
                    form: tenant.form, account: tenant.account,
                    fields: [
                        "phone": .string(String(format: "07%08d", 10_000_001 + index)), "nom": .string("Nom\(index)"),
                        "code_postal": .string(index % 2 == 0 ? "75008" : "69001"),
                    ]))
        }
        return leads
    }

    @Test func listIsNewestFirstWithAKeysetCursorAndTotals() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await seed(t, tenant, count: 7)
            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let path = "/api/admin/leads?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let response = try await t.api(.GET, path, token: tenant.adminToken)
                #expect(response.status == .ok)
                let body = try response.json()
                #expect((body["totals"] as? [String: Int])?["total"] == 8)
                seen += try response.items().compactMap { $0["nom"] as? String }
                cursor = body["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == 8)
            #expect(Array(seen.prefix(3)) == ["Nom6", "Nom5", "Nom4"])
            let ascending = try await t.api(.GET, "/api/admin/leads?dir=asc&limit=2", token: tenant.adminToken).items()
            #expect(ascending.first?["nom"] as? String == "Alpha Prospect")
        }
    }

    @Test func filtersNarrowTheList() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await seed(t, tenant, count: 4)
            func count(_ query: String) async throws -> Int {
                try await t.api(.GET, "/api/admin/leads?\(query)", token: tenant.adminToken).items().count
            }
            #expect(try await count("departement=69") == 2)
            #expect(try await count("q=Nom3") == 1)
            #expect(try await count("q=07%2010%2000%2000%2003") == 1)
            #expect(try await count("product_type=PAC") == 0)
            #expect(try await count("crm_id=\(tenant.crm.id!)") == 5)
            #expect(try await count("crm_id=\(tenant.otherCrm.id!)") == 0)
            let today = FrenchFormat.dateTime(t.clock.now())
            let iso = "\(today.prefix(10).split(separator: "/").reversed().joined(separator: "-"))"
            #expect(try await count("from=\(iso)&to=\(iso)") == 5)
            #expect(try await count("to=2001-01-01") == 0)
            let bad = try await t.api(.GET, "/api/admin/leads?from=hier", token: tenant.adminToken)
            #expect(bad.status == .unprocessableEntity)
        }
    }

    @Test func editingALeadRevalidatesAndLogsTheChange() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let bad = try await t.api(
                .PATCH, "/api/admin/leads/\(tenant.lead.id!)", token: tenant.editorToken, json: ["email": "faux"])
            #expect(bad.status == .unprocessableEntity)
            let response = try await t.api(
                .PATCH, "/api/admin/leads/\(tenant.lead.id!)", token: tenant.editorToken,
                json: ["nom": "Durand", "code_postal": "13001"])
            #expect(response.status == .ok)
            #expect(try response.json()["departement"] as? String == "13")
            let events = try await LeadEvent.query(on: t.db).filter(\.$leadId == tenant.lead.id!).all()
            #expect(events.contains { $0.summary.contains("Nom") && $0.userEmail == "editor@alpha.test" })
            let forbidden = try await t.api(
                .PATCH, "/api/admin/leads/\(tenant.lead.id!)", token: tenant.editorToken, json: ["status": "duplicate"])
            #expect(forbidden.status == .unprocessableEntity)
            let viewer = try await t.api(
                .PATCH, "/api/admin/leads/\(tenant.lead.id!)", token: tenant.viewerToken, json: ["nom": "X"])
            #expect(viewer.status == .forbidden)
        }
    }

    @Test func archiveUnarchiveAndBulkDelete() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let leads = try await seed(t, tenant, count: 3)
            let ids = leads.map { $0.id!.uuidString }
            let archived = try await t.api(
                .POST, "/api/admin/leads/bulk", token: tenant.adminToken,
                json: ["action": "archive", "ids": Array(ids.prefix(2))])
            #expect(try archived.json()["changed"] as? Int == 2)
            #expect(try await t.api(.GET, "/api/admin/leads", token: tenant.adminToken).items().count == 2)
            #expect(try await t.api(.GET, "/api/admin/leads?archived=1", token: tenant.adminToken).items().count == 2)
            _ = try await t.api(
                .POST, "/api/admin/leads/bulk", token: tenant.adminToken,
                json: ["action": "unarchive", "ids": [ids[0]]])
            #expect(try await t.api(.GET, "/api/admin/leads", token: tenant.adminToken).items().count == 3)
            let deleted = try await t.api(
                .POST, "/api/admin/leads/bulk", token: tenant.adminToken, json: ["action": "delete", "ids": ids])
            #expect(try deleted.json()["changed"] as? Int == 3)
            // "Supprimer" archives, as in the first version: nothing is ever deleted from the back office.
            #expect(try await Lead.query(on: t.db).count() == 4)
            #expect(try await t.api(.GET, "/api/admin/leads?archived=1", token: tenant.adminToken).items().count == 3)
            #expect(try await LeadEvent.query(on: t.db).filter(\.$leadId ~~ leads.map { $0.id! }).count() >= 3)
            let single = try await t.api(.DELETE, "/api/admin/leads/\(tenant.lead.id!)", token: tenant.adminToken)
            #expect(single.status == .noContent)
            #expect(try await Lead.find(tenant.lead.id, on: t.db)?.archivedAt != nil)
        }
    }

    @Test func csvExportOpensInFrenchExcel() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await t.makeLead(
                form: tenant.form, account: tenant.account,
                fields: [
                    "phone": .string("0611223344"), "nom": .string("O'Brien; \"Jr\""), "prenom": .string("=SOMME(A1)"),
                    "code_postal": .string("75008"),
                ])
            let response = try await t.api(.GET, "/api/admin/leads/export.csv?departement=75", token: tenant.adminToken)
            #expect(response.status == .ok)
            #expect(response.headers.contentType?.subType == "csv")
            #expect(response.headers.first(name: .contentDisposition)?.contains("attachment") == true)
            let bytes = Array(response.body.readableBytesView)
            #expect(bytes.prefix(3) == [0xEF, 0xBB, 0xBF])
            let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
            let lines = text.split(separator: "\r\n")
            #expect(lines.count == 2)
            #expect(lines[0].hasPrefix("Date;Statut;Formulaire"))
            #expect(lines[1].contains("06 11 22 33 44"))
            #expect(lines[1].contains("\"O'Brien; \"\"Jr\"\"\""))
            #expect(lines[1].contains("'=SOMME(A1)"))
            #expect(lines[1].contains("/20"))
        }
    }

    @Test func erasingAPersonKeepsAnonymousCounts() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let second = try await t.makeLead(
                form: tenant.form, account: tenant.account,
                fields: ["phone": .string("06 98 71 54 32"), "nom": .string("Encore")])
            #expect(second.status == "duplicate")
            let editor = try await t.api(
                .POST, "/api/admin/leads/erase", token: tenant.editorToken, json: ["phone": "0698715432"])
            #expect(editor.status == .forbidden)
            let response = try await t.api(
                .POST, "/api/admin/leads/erase", token: tenant.adminToken, json: ["phone": "+33 6 98 71 54 32"])
            #expect(try response.json()["erased"] as? Int == 2)
            let leads = try await Lead.query(on: t.db).all()
            #expect(leads.count == 2)
            #expect(leads.allSatisfy { $0.erasedAt != nil && $0.nom == nil && $0.email == nil && $0.phone == "effacé" })
            #expect(leads.allSatisfy { $0.productType == "PV" && $0.formCode == "PV-001" })
            let log = try await ActivityEntry.query(on: t.db).filter(\.$summary, .custom("LIKE"), "RGPD%").first()
            #expect(log?.summary.contains("98 71 54 32") == false)
            let empty = try await t.api(.POST, "/api/admin/leads/erase", token: tenant.adminToken, json: [:])
            #expect(empty.status == .unprocessableEntity)
            let edit = try await t.api(
                .PATCH, "/api/admin/leads/\(tenant.lead.id!)", token: tenant.adminToken, json: ["nom": "X"])
            #expect(edit.status == .conflict)
        }
    }

    @Test func restrictedUserSeesOnlyLeadsOfTheirAccounts() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let otherForm = try await t.makeForm(
                in: tenant.id, account: tenant.otherAccount, name: "Autre", product: "PAC", code: "PAC-001")
            let other = try await t.makeLead(
                form: otherForm, account: tenant.otherAccount,
                fields: ["phone": .string("0711111112"), "nom": .string("Autre")])
            let (_, token) = try await t.makeUser(
                in: tenant.id, role: .editor, email: "limite@alpha.test", crmIds: [tenant.otherCrm.id!])
            let items = try await t.api(.GET, "/api/admin/leads", token: token).items()
            #expect(items.compactMap { $0["id"] as? String } == [other.id!.uuidString])
            #expect(try await t.api(.GET, "/api/admin/leads/\(tenant.lead.id!)", token: token).status == .notFound)
            let bulk = try await t.api(
                .POST, "/api/admin/leads/bulk", token: token,
                json: ["action": "delete", "ids": [tenant.lead.id!.uuidString]])
            #expect(try bulk.json()["changed"] as? Int == 0)
            #expect(try await Lead.find(tenant.lead.id, on: t.db)?.archivedAt == nil)
        }
    }

    @Test func leadsOlderThanNMonthsAreArchivedByAnAdmin() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let old = try await t.makeLead(
                form: tenant.form, account: tenant.account,
                fields: ["phone": .string("0611110001"), "nom": .string("Ancien")],
                at: t.clock.now().addingTimeInterval(-100 * 86_400))
            let body = ["months": 3]
            #expect(
                try await t.api(.POST, "/api/admin/leads/archive-older", token: tenant.editorToken, json: body).status
                    == .forbidden)
            let bad = try await t.api(
                .POST, "/api/admin/leads/archive-older", token: tenant.adminToken, json: ["months": 0])
            #expect(bad.status == .unprocessableEntity)
            let done = try await t.api(.POST, "/api/admin/leads/archive-older", token: tenant.adminToken, json: body)
            #expect(try done.json()["changed"] as? Int == 1)
            #expect(try await Lead.find(old.id, on: t.db)?.archivedAt != nil)
            #expect(try await Lead.find(tenant.lead.id, on: t.db)?.archivedAt == nil)
            let session = try await t.login(email: tenant.admin.email)
            let page = try await t.browse(.GET, "/leads", session: session)
            #expect(page.text.contains("Archiver les leads de plus de"))
            #expect(!page.text.contains("Supprimer définitivement"))
            let again = try await t.browse(.POST, "/leads/archive-older", session: session, form: ["months": "1"])
            #expect(again.status == .seeOther)
        }
    }

    @Test func leadPagesListShowEditAndAct() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let list = try await t.browse(.GET, "/leads", session: session)
            #expect(list.text.contains("06 98 71 54 32"))
            #expect(list.text.contains("1</strong> lead(s)"))
            let detail = try await t.browse(.GET, "/leads/\(tenant.lead.id!)", session: session)
            #expect(detail.text.contains("Historique"))
            #expect(detail.text.contains("Reçu via PV-001"))
            let invalid = try await t.browse(
                .POST, "/leads/\(tenant.lead.id!)", session: session, form: ["email": "pas-valide", "nom": "Tapé"])
            #expect(invalid.status == .unprocessableEntity)
            #expect(invalid.text.contains("value=\"Tapé\""))
            #expect(invalid.text.contains("Adresse e-mail invalide."))
            let saved = try await t.browse(.POST, "/leads/\(tenant.lead.id!)", session: session, form: ["nom": "Tapé"])
            #expect(saved.status == .seeOther)
            let archived = try await t.browse(
                .POST, "/leads/actions", session: session,
                form: ["action": "archive", "ids[]": tenant.lead.id!.uuidString, "back": "/leads"])
            #expect(archived.status == .seeOther)
            #expect(try await Lead.find(tenant.lead.id, on: t.db)?.archivedAt != nil)
            let erase = try await t.browse(.POST, "/leads/erase", session: session, form: ["phone": "06 98 71 54 32"])
            #expect(erase.text.contains("Données personnelles de 1 lead(s) effacées"))
        }
    }
}
