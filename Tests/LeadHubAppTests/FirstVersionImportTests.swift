import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

/// `leadhub import-v1` on an export the test writes itself (`Support/V1Export.swift`).
@Suite struct FirstVersionImportTests {
    func importer(_ t: TestApp, _ folder: String, dryRun: Bool = false) -> V1Importer {
        V1Importer(
            app: t.app,
            options: .init(directory: folder, organization: "Solaire Direct Groupe", dryRun: dryRun, batchSize: 3),
            now: t.clock.now())
    }

    func count(_ t: TestApp, _ table: String) async throws -> Int {
        try await (t.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()!
            .decode(column: "n", as: Int.self)
    }

    static let tables = [
        "organizations", "crms", "accounts", "landing_pages", "forms", "users", "leads", "deliveries", "lead_events",
        "billing_invoices", "comments", "activity_log", "alerts", "diffusion_sources", "organization_api_keys",
        "v1_form_keys", "v1_id_map", "stats_hourly", "stats_daily_departements", "routing_counters",
    ]

    func snapshot(_ t: TestApp) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in Self.tables { counts[table] = try await count(t, table) }
        return counts
    }

    @Test func everyDocumentIsImportedOrListedWithItsReason() async throws {
        try await TestApp.run { t in
            let folder = try V1Export.realistic().write()
            let report = try await importer(t, folder).run()
            #expect(report.accountsForEveryDocument)
            let c = report.counts
            #expect(c["system_config"] == .init(read: 2, created: 1, skipped: 1))
            #expect(c["crms"]?.created == 2)
            #expect(c["accounts"] == .init(read: 4, created: 2, skipped: 2, altered: 1))
            #expect(c["sub_accounts"]?.created == 1)
            #expect(c["lps"]?.created == 2 && c["forms"]?.created == 2)
            #expect(c["users"] == .init(read: 3, created: 2, skipped: 1, altered: 1))
            #expect(c["leads"]?.read == 11 && c["leads"]?.created == 9 && c["leads"]?.skipped == 2)
            #expect(c["leads_archived"]?.created == 1)
            #expect(c["lead_queue"] == .init(read: 2, created: 1, skipped: 1))
            #expect(c["tracking"] == .init(read: 6, created: 5, skipped: 1))
            #expect(c["cta_clicks"]?.created == 1 && c["form_starts"]?.created == 2)
            #expect(c["billing_history"]?.created == 1 && c["comments"]?.created == 1 && c["comments"]?.skipped == 1)
            #expect(c["activity_logs"]?.created == 2 && c["system_alerts"]?.created == 2)
            #expect(c["assets"] == .init(read: 2, created: 1, skipped: 1))
            let text = report.text(collections: V1Importer.collections)
            #expect(text.contains("lead-9"))  // skipped: unknown form
            #expect(text.contains("formulaire inconnu"))
            #expect(text.contains("téléphone illisible"))
            #expect(text.contains("PV:99X"))
            #expect(text.contains("direction@solaire-direct.fr"))
            #expect(report.passwords.count == 2)
        }
    }

    @Test func configurationIsMappedToLeadHubsWords() async throws {
        try await TestApp.run { t in
            let report = try await importer(t, try V1Export.realistic().write()).run()
            let org = try #require(
                try await Organization.query(on: t.db).filter(\.$name == "Solaire Direct Groupe").first())
            #expect(org.v1CompatEnabled)
            #expect(report.organizationCreated)
            let crms = try await Crm.query(on: t.db).filter(\.$organizationId == org.id!).all()
            let zr7 = try #require(crms.first { $0.slug == "zr7" })
            let mdl = try #require(crms.first { $0.slug == "mdl" })
            #expect(zr7.deliveryKind == .zr7 && mdl.deliveryKind == .mdl)
            #expect(zr7.orders["PAC"]?.departements == ["75", "92"])
            #expect(zr7.orders["PV"]?.departements == ["13", "2A"])
            #expect(mdl.orders["PV"]?.departements == ["75", "69", "33"])
            #expect(zr7.routingLimits == ["PAC": 100])  // 0 meant unlimited
            #expect(zr7.leadPrices["PAC"] == 25.5)

            let accounts = try await Account.query(on: t.db).filter(\.$organizationId == org.id!).all()
            let main = try #require(accounts.first { $0.name == "Solaire Direct" })
            #expect(main.gtmHead == "<script>/*pixel*/</script>")
            #expect(main.gtmConversion == "dataLayer.push({event:'lead'})")
            #expect(main.redirectURLs == [NamedURL(name: "Google", url: "https://solaire-direct.fr/merci-google")])
            #expect(main.productTypes == ["PV", "PAC"])
            #expect(main.logoMainURL == "https://cdn.example/logo.png")
            #expect(main.images.map(\.url).contains("https://cdn.example/rond.png"))
            let sub = try #require(accounts.first { $0.name == "Solaire Direct Sud" })
            #expect(sub.parentId == main.id && sub.crmId == zr7.id)

            let forms = try await Form.query(on: t.db).filter(\.$organizationId == org.id!).all()
            let pv = try #require(forms.first { $0.code == "PV-001" })
            let pac = try #require(forms.first { $0.code == "PAC-001" })
            #expect(pv.productType == "PV" && pac.productType == "PAC")
            #expect(pac.accountId == sub.id)
            #expect(try t.app.secretBox.open(try #require(pv.crmTokenSealed)) == "zr7-token-pv")
            #expect(pv.thankYouRedirect == "Google")
            let pages = try await LandingPage.query(on: t.db).filter(\.$organizationId == org.id!).all()
            #expect(pages.first { $0.code == "LP-001" }?.formId == pv.id)
            #expect(pages.first { $0.code == "LP-SUD-V2" }?.formId == pac.id)
            let source = try await DiffusionSource.query(on: t.db).filter(\.$organizationId == org.id!)
                .filter(\.$name == "Taboola").first()
            #expect(pages.first { $0.code == "LP-001" }?.diffusionSourceId == source?.id)

            let users = try await User.query(on: t.db).filter(\.$organizationId == org.id!).all()
            let viewer = try #require(users.first { $0.email == "media@solaire-direct.fr" })
            #expect(viewer.role == .viewer && viewer.accountIds == [main.id!])
            // The one-time password of the report opens a session.
            let password = try #require(report.passwords.first { $0.email == "direction@solaire-direct.fr" }?.password)
            let login = try await t.loginAttempt(email: "direction@solaire-direct.fr", password: password)
            #expect(login.status == .seeOther)
        }
    }

    @Test func leadsKeepTheirTimeRoutingAndCrmAnswers() async throws {
        try await TestApp.run { t in
            _ = try await importer(t, try V1Export.realistic().write()).run()
            let leads = try await Lead.query(on: t.db).all()
            func lead(_ old: String) throws -> Lead {
                try #require(
                    leads.first { $0.extra["v1_id"] == .string(old) },
                    "\(old) \(leads.map { $0.extra["v1_id"]?.text ?? "-" })")
            }
            let crms = try await Crm.query(on: t.db).all()
            let zr7 = crms.first { $0.slug == "zr7" }!.id!
            let mdl = crms.first { $0.slug == "mdl" }!.id!
            let first = try lead("lead-1")
            #expect(first.status == "delivered" && first.phone == "+33612485378")
            #expect(first.createdAt == ISODate.parse("2026-08-14T08:30:00Z"))
            #expect(first.surfaceHabitable == 120 && first.typeLogement == "maison" && first.civilite == "M")
            #expect(first.extra["v1_api_status"] == .string("success"))
            #expect(first.extra["v1_crm_response"] == .string("{\"id\": 991}"))
            #expect(first.landingPageId != nil && first.lpCode == "LP-001")
            let rerouted = try lead("lead-2")
            #expect(rerouted.crmId == zr7 && rerouted.routedCrmId == mdl && rerouted.rerouted)
            #expect(rerouted.unitPriceCents == 2_200 && rerouted.routingReason == "rerouted_to_mdl")
            #expect(try lead("lead-3").status == "crm_duplicate")
            #expect(try lead("lead-4").status == "duplicate")
            #expect(try lead("lead-5").status == "failed")
            let queued = try lead("lead-6")
            #expect(queued.status == "received")
            let waiting = try #require(try await Delivery.query(on: t.db).filter(\.$leadId == queued.id!).first())
            #expect(waiting.status == .retrying && waiting.attempts == 2 && waiting.lastError == "timeout")
            // A phone that does not parse is kept as given, flagged and never sent.
            let unreadable = try lead("lead-7")
            #expect(unreadable.phone == "12-34" && unreadable.status == "failed")
            #expect(unreadable.extra["v1_review"]?.text?.contains("téléphone illisible") == true)
            let parked = try #require(try await Delivery.query(on: t.db).filter(\.$leadId == unreadable.id!).first())
            #expect(parked.status == .notSent)
            let events = try await LeadEvent.query(on: t.db).filter(\.$leadId == unreadable.id!).all()
            #expect(events.contains { $0.summary.contains("À vérifier") })
            // Missing and invalid fields: stored without them, the raw value kept, flagged.
            let odd = try lead("lead-8")
            #expect(odd.productType == "PAC" && odd.nom == nil && odd.email == nil && odd.departement == "92")
            #expect(odd.extra["v1_email"] == .string("pas-un-email"))
            #expect(odd.status == "not_sent" && odd.lpCode == "LP-SUD-V2")
            #expect(try lead("lead-10").status == "not_sent")
            let archived = try lead("lead-old-1")
            #expect(archived.archivedAt == ISODate.parse("2026-02-02T10:00:00Z"))
            #expect(leads.count == 10)  // the tenant-less test app has no other lead
        }
    }

    @Test func theGlobalKeyAndTheFormKeysKeepWorkingAfterTheImport() async throws {
        try await TestApp.run { t in
            _ = try await importer(t, try V1Export.realistic().write()).run()
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .authorization, value: "Token \(V1Export.globalKey)")
            let body: [String: Any] = [
                "form_id": V1Export.Id.formPV, "phone": "0687654321", "nom": "Durand", "code_postal": "13008",
                "type_logement": "Maison", "statut_occupant": "Propriétaire", "lp_code": "LP-001",
            ]
            let v1 = try await t.api(.POST, "/api/v1/leads", json: body, headers: headers)
            #expect(v1.status == .created)
            #expect(try v1.json()["success"] as? Bool == true)
            var submit = body
            submit.removeValue(forKey: "form_id")
            submit["api_key"] = V1Export.formKeyPAC
            submit["phone"] = "0687654322"
            submit["chauffage_actuel"] = "Fioul"
            let old = try await t.api(.POST, "/api/submit-lead", json: submit)
            #expect(old.status == .created)
            #expect(try old.json()["form_code"] as? String == "PAC-001")
            // The code as the old page wrote it still finds its landing page.
            let visit = try await t.api(.POST, "/api/track/lp-visit", json: ["lp_code": "lp_sud v2"])
            #expect(visit.status == .ok)
        }
    }

    @Test func oldTrackingRowsFeedTheHourlyAggregates() async throws {
        try await TestApp.run { t in
            _ = try await importer(t, try V1Export.realistic().write()).run()
            let org = try #require(
                try await Organization.query(on: t.db).filter(\.$name == "Solaire Direct Groupe").first())
            let admin = try #require(
                try await User.query(on: t.db).filter(\.$email == "direction@solaire-direct.fr").first())
            let (raw, _) = try await AuthService.issueToken(
                for: admin, name: "test", lifetime: nil, now: t.clock.now(), on: t.db)
            let today = try await t.api(.GET, "/api/admin/stats/funnel?period=today", token: raw).json()
            #expect(today["visits"] as? Int == 2)
            #expect(today["cta_clicks"] as? Int == 2)
            #expect(today["form_starts"] as? Int == 3)
            let august = try await t.api(.GET, "/api/admin/stats/funnel?from=2026-08-01&to=2026-08-31", token: raw)
                .json()
            #expect(august["visits"] as? Int == 1)
            #expect(august["leads"] as? Int == 6)
            _ = org
        }
    }

    /// The first version's billing dashboard on the same data: leads accepted by the CRM (success or
    /// "doublon"), rerouted from ZR7's account to MDL, invoiced by MDL to ZR7 at MDL's PV price.
    @Test func billingOfTheImportedLeadsIsTheFirstVersionsArithmetic() async throws {
        try await TestApp.run { t in
            let report = try await importer(t, try V1Export.realistic().write()).run()
            let password = try #require(report.passwords.first { $0.email == "direction@solaire-direct.fr" }?.password)
            let login = try await t.api(
                .POST, "/api/auth/token", json: ["email": "direction@solaire-direct.fr", "password": password])
            let token = try #require(try login.json()["token"] as? String)
            let crms = try await Crm.query(on: t.db).all()
            let zr7 = crms.first { $0.slug == "zr7" }!.id!.uuidString
            let mdl = crms.first { $0.slug == "mdl" }!.id!.uuidString
            let august = try await t.api(.GET, "/api/admin/billing?from=2026-08-01&to=2026-08-31", token: token).json()
            let rows = try #require(august["rows"] as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["from_crm_id"] as? String == zr7 && rows.first?["to_crm_id"] as? String == mdl)
            #expect(rows.first?["leads"] as? Int == 2 && rows.first?["amount"] as? Double == 44)
            let statements = try #require(august["crms"] as? [[String: Any]])
            let z = try #require(statements.first { $0["crm_id"] as? String == zr7 })
            let m = try #require(statements.first { $0["crm_id"] as? String == mdl })
            #expect((z["leads_originated"] as? [String: Int])?["total"] == 3)
            #expect((z["leads_received"] as? [String: Int])?["total"] == 1)
            #expect((z["leads_rerouted_out"] as? [String: Int])?["PV"] == 2)
            #expect(z["amount_to_pay"] as? Double == 44 && z["net_balance"] as? Double == -44)
            #expect((m["leads_received"] as? [String: Int])?["total"] == 2)
            #expect(m["amount_to_invoice"] as? Double == 44 && m["net_balance"] as? Double == 44)
            // July's invoiced period came over with its direction: ZR7 paid MDL.
            let invoices = try await t.api(.GET, "/api/admin/billing/invoices", token: token).items()
            let july = try #require(invoices.first { $0["from"] as? String == "2026-07-01" })
            #expect(july["from_crm_id"] as? String == zr7 && july["to_crm_id"] as? String == mdl)
            #expect(
                july["amount"] as? Double == 440 && july["leads"] as? Int == 20 && july["to"] as? String == "2026-07-31"
            )
        }
    }

    @Test func aSecondRunCreatesNothingAndUpdatesWhatChanged() async throws {
        try await TestApp.run { t in
            var export = V1Export.realistic()
            let folder = try export.write()
            _ = try await importer(t, folder).run()
            let before = try await snapshot(t)
            let again = try await importer(t, folder).run()
            #expect(again.counts.values.allSatisfy { $0.created == 0 })
            #expect(again.passwords.isEmpty)
            #expect(try await snapshot(t) == before)

            // One CRM renamed and one more visit: updated, nothing duplicated.
            export.files["crms"] = export.files["crms"]!.replacingOccurrences(
                of: "Maison du Lead", with: "Maison du Lead SAS")
            export.files["tracking"]! +=
                V1Export.json(
                    ["id": "t-7", "event": "lp_visit", "lp_code": "LP-001", "created_at": "2026-09-21T06:40:00Z"])
                + "\n"
            for (name, text) in export.files where ["crms", "tracking"].contains(name) {
                try text.write(toFile: folder + "/\(name).json", atomically: true, encoding: .utf8)
            }
            let third = try await importer(t, folder).run()
            #expect(third.counts["crms"]?.updated == 1 && third.counts["crms"]?.unchanged == 1)
            #expect(try await Crm.query(on: t.db).filter(\.$name == "Maison du Lead SAS").count() == 1)
            #expect(try await count(t, "crms") == before["crms"])
            let visits = try await (t.db as! any SQLDatabase).raw(
                "SELECT CAST(SUM(visits) AS BIGINT) AS n FROM stats_hourly"
            ).first()!
            .decode(column: "n", as: Int.self)
            #expect(visits == 4)
        }
    }

    @Test func aDryRunWritesNothing() async throws {
        try await TestApp.run { t in
            let before = try await snapshot(t)
            let report = try await importer(t, try V1Export.realistic().write(), dryRun: true).run()
            #expect(report.dryRun)
            #expect(report.counts["leads"]?.created == 9)
            #expect(try await snapshot(t) == before)
        }
    }
}
