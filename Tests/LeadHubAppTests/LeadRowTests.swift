import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

/// The lead row has one description (`IntakeRows`); these tests write a lead with every column
/// filled through each write path and read every column back by its name, against values written
/// out here by hand (all different, so that two swapped columns cannot pass).
@Suite struct LeadRowTests {
    func draft(_ tenant: Tenant, _ t: TestApp, phone: String, at date: Date) async throws -> LeadDraft {
        var lead = try LeadSubmission.validate(["phone": .string(phone)]).get()
        lead.civilite = "Mme"
        lead.nom = "Nom-Dupont"
        lead.prenom = "Prenom-Claire"
        lead.email = "claire@exemple.fr"
        lead.codePostal = "75011"
        lead.departement = "75"
        lead.ville = "Paris-Ville"
        lead.adresse = "3 rue de l'Adresse"
        lead.typeLogement = "Maison"
        lead.statutOccupant = "Propriétaire"
        lead.surfaceHabitable = 123
        lead.chauffageActuel = "Fioul-chauffage"
        lead.factureElectricite = "150-facture"
        lead.extra = ["projet": .string("extra-valeur")]
        lead.lpCode = "LP-777"
        lead.attribution = [
            "session_id": "sess-1", "visitor_id": "visit-\(phone)", "utm_source": "src-1", "utm_medium": "med-1",
            "utm_campaign": "camp-1", "utm_content": "cont-1", "utm_term": "term-1", "gclid": "gclid-1",
            "fbclid": "fbclid-1", "referrer": "https://referrer.example/", "page_url": "https://page.example/lp",
        ]
        lead.consent.phone = true
        lead.consent.email = false
        lead.consent.text = "J'accepte d'être rappelé"
        lead.consent.url = "https://consent.example/"
        lead.consent.partnersVersion = "partenaires-v3"
        var draft = LeadDraft(
            id: UUID(), organizationId: tenant.id, formId: tenant.form.id!, accountId: tenant.account.id!,
            crmId: tenant.crm.id!, landingPageId: tenant.landingPage.id, diffusionSourceId: tenant.source.id,
            productType: "PV", formCode: "PV-001", lead: lead, ip: "198.51.100.7", userAgent: "Agent/1.0",
            apiKeyId: tenant.apiKey.id, submissionHash: "hash-\(phone)", idempotencyKey: "cle-\(phone)",
            receivedAt: date, duplicateWindowHours: nil, excludeFromRouting: false,
            routing: try await t.app.intakeCache.routingConfig(organizationId: tenant.id, now: date, on: t.db))
        draft.consentHash = "hash-consent"
        draft.quality = QualityAssessment(signals: [QualitySignal(code: "too_fast", label: "Rapide", points: 5)])
        draft.policy = tenant.organization.intakePolicy
        return draft
    }

    /// Column → the value it must hold, written out independently of `IntakeRows`.
    func expected(_ d: LeadDraft, _ tenant: Tenant) -> [String: ColumnValue] {
        [
            "id": .uuid(d.id), "organization_id": .uuid(tenant.id), "form_id": .uuid(tenant.form.id),
            "account_id": .uuid(tenant.account.id), "crm_id": .uuid(tenant.crm.id),
            "landing_page_id": .uuid(tenant.landingPage.id), "diffusion_source_id": .uuid(tenant.source.id),
            "product_type": .text("PV"), "status": .text("received"), "duplicate_of": .uuid(nil),
            "phone": .text(d.lead.phone.e164), "civilite": .text("Mme"), "nom": .text("Nom-Dupont"),
            "prenom": .text("Prenom-Claire"), "email": .text("claire@exemple.fr"), "code_postal": .text("75011"),
            "departement": .text("75"), "ville": .text("Paris-Ville"), "adresse": .text("3 rue de l'Adresse"),
            "type_logement": .text("Maison"), "statut_occupant": .text("Propriétaire"),
            "surface_habitable": .integer(123), "chauffage_actuel": .text("Fioul-chauffage"),
            "facture_electricite": .text("150-facture"), "extra": .text("{\"projet\":\"extra-valeur\"}"),
            "form_code": .text("PV-001"), "lp_code": .text("LP-777"), "session_id": .text("sess-1"),
            "visitor_id": .text(d.lead.attribution["visitor_id"]), "utm_source": .text("src-1"),
            "utm_medium": .text("med-1"),
            "utm_campaign": .text("camp-1"), "utm_content": .text("cont-1"), "utm_term": .text("term-1"),
            "gclid": .text("gclid-1"), "fbclid": .text("fbclid-1"), "referrer": .text("https://referrer.example/"),
            "page_url": .text("https://page.example/lp"), "consent_phone": .bool(true), "consent_email": .bool(false),
            "consent_text": .text("J'accepte d'être rappelé"), "consent_url": .text("https://consent.example/"),
            "consent_at": .date(d.receivedAt), "consent_hash": .text("hash-consent"),
            "consent_partners_version": .text("partenaires-v3"), "quality_score": .integer(5),
            "quality_reasons": .text("[{\"code\":\"too_fast\",\"label\":\"Rapide\",\"points\":5}]"),
            "review_errors": .text(nil), "ip": .text("198.51.100.7"), "user_agent": .text("Agent/1.0"),
            "submission_hash": .text(d.submissionHash), "api_key_id": .uuid(tenant.apiKey.id),
            "created_at": .date(d.receivedAt), "updated_at": .date(d.receivedAt),
            "routed_crm_id": .uuid(tenant.crm.id), "routing_reason": .text("origin_has_order"),
            // Free text and price depend on the routing rules: checked present below.
            "routing_explanation": .text("*"), "rerouted": .bool(false), "unit_price_cents": .integer(-1),
        ]
    }

    func readBack(_ id: UUID, _ shape: [String: ColumnValue], on sql: any SQLDatabase) async throws -> [String:
        ColumnValue]
    {
        let row = try #require(try await sql.select().column("*").from("leads").where("id", .equal, id).first())
        var read: [String: ColumnValue] = [:]
        for (name, kind) in shape {
            switch kind {
            case .text: read[name] = .text(try row.decode(column: name, as: String?.self))
            case .uuid: read[name] = .uuid(try row.decode(column: name, as: UUID?.self))
            case .integer: read[name] = .integer(try row.decode(column: name, as: Int?.self))
            case .bool: read[name] = .bool(try row.decode(column: name, as: Bool.self))
            case .date: read[name] = .date(try row.decode(column: name, as: Date?.self))
            }
        }
        return read
    }

    func check(_ read: [String: ColumnValue], against wanted: [String: ColumnValue], path: String) {
        for (name, value) in wanted {
            switch (name, value, read[name]) {
            case ("routing_explanation", _, .text(let text)):
                #expect(text?.isEmpty == false, "\(path): routing_explanation")
            case ("unit_price_cents", _, .integer):
                break  // nil or a price: the column exists and decodes as an integer
            case (_, .date(let want), .date(let got)):
                #expect(abs((got ?? .distantPast).timeIntervalSince(want!)) < 0.001, "\(path): \(name)")
            default:
                #expect(read[name] == value, "\(path): \(name) = \(String(describing: read[name])), not \(value)")
            }
        }
    }

    @Test func everyColumnOfALeadIsWrittenAndReadBackOnEachWritePath() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let sql = t.db as! any SQLDatabase
            _ = try await t.api(
                .PATCH, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken,
                json: [
                    "api_url": "http://127.0.0.1:9/lead", "orders": ["PV": ["active": true, "departements": ["75"]]],
                ])
            // The description and this test list the same columns, no more, no less.
            let now = t.clock.now()
            let viaWriter = try await draft(tenant, t, phone: "0611223344", at: now)
            #expect(Set(expected(viaWriter, tenant).keys) == Set(IntakeRows.lead.names))
            #expect(Set(IntakeRows.delivery.names).count == IntakeRows.delivery.columns.count)

            // 1. The application's writer: its own SQLite connection (raw statements), or SQLKit
            //    on PostgreSQL.
            guard case .stored = try await t.app.leadWriter.submit(viaWriter) else {
                Issue.record("the writer did not store the lead")
                return
            }
            check(
                try await readBack(viaWriter.id, expected(viaWriter, tenant), on: sql),
                against: expected(viaWriter, tenant),
                path: t.app.config.usesPostgres ? "writer/PostgreSQL" : "writer/SQLite")

            // 2. The SQLKit batch path (PostgreSQL's, and the one tests and tools use on SQLite).
            let viaSQLKit = try await draft(tenant, t, phone: "0655667788", at: now.addingTimeInterval(1))
            _ = try await LeadWriter.store([viaSQLKit], on: sql)
            check(
                try await readBack(viaSQLKit.id, expected(viaSQLKit, tenant), on: sql),
                against: expected(viaSQLKit, tenant), path: "SQLKit")

            // Fluent reads the same row the same way (dates, booleans, UUIDs as it stores them).
            for draft in [viaWriter, viaSQLKit] {
                let lead = try #require(try await Lead.find(draft.id, on: t.db))
                #expect(lead.nom == "Nom-Dupont" && lead.prenom == "Prenom-Claire" && lead.consentPhone)
                #expect(lead.landingPageId == tenant.landingPage.id && lead.apiKeyId == tenant.apiKey.id)
                #expect(abs(lead.createdAt.timeIntervalSince(draft.receivedAt)) < 0.001)
            }

            // The outbox row of each, and the idempotency key with the answer given.
            for draft in [viaWriter, viaSQLKit] {
                let delivery = try #require(
                    try await sql.select().column("*").from("deliveries").where("lead_id", .equal, draft.id).first())
                #expect(try delivery.decode(column: "organization_id", as: UUID.self) == tenant.id)
                #expect(try delivery.decode(column: "crm_id", as: UUID?.self) == tenant.crm.id)
                #expect(try delivery.decode(column: "product_type", as: String.self) == "PV")
                #expect(try delivery.decode(column: "status", as: String.self) == "pending")
                #expect(try delivery.decode(column: "attempts", as: Int.self) == 0)
                #expect(try delivery.decode(column: "next_attempt_at", as: Date?.self) != nil)
                #expect(try delivery.decode(column: "last_error", as: String?.self) == nil)
                let key = try #require(
                    try await sql.select().column("*").from("idempotency_keys").where("lead_id", .equal, draft.id)
                        .first())
                #expect(try key.decode(column: "key", as: String.self) == draft.idempotencyKey)
                #expect(try key.decode(column: "request_hash", as: String.self) == draft.submissionHash)
                #expect(try key.decode(column: "response_status", as: Int.self) == 201)
                #expect(try key.decode(column: "response_body", as: String.self).contains(draft.id.uuidString))
            }
        }
    }

    @Test func theRawSQLiteLayerRefusesAStatementWithTooFewOrTooManyValues() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("raw-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try RawSQLite(path: path)
        defer { database.close() }
        try database.execute("CREATE TABLE t (a TEXT, b TEXT)")
        #expect(throws: RawSQLite.Failure.self) { try database.run("INSERT INTO t (a, b) VALUES (?, ?)", [.text("x")]) }
        #expect(throws: RawSQLite.Failure.self) {
            try database.run("INSERT INTO t (a, b) VALUES (?, ?)", [.text("x"), .text("y"), .text("z")])
        }
        try database.run("INSERT INTO t (a, b) VALUES (?, ?)", [.text("x"), .text("y")])
        var count = 0
        try database.rows("SELECT count(*) FROM t", []) { count = $0.integer(0) ?? 0 }
        #expect(count == 1)
    }
}

/// One turn of the SQLite writer: the lead batch and the other writes queued meanwhile share one
/// transaction, each other write in a savepoint of its own.
@Suite struct WriterTurnTests {
    @Test func aFailingWriteOfTheTurnUndoesItselfAloneAndTheLeadsAreCommitted() async throws {
        try await TestApp.run { t in
            guard !t.app.config.usesPostgres else { return }  // the SQLite writer only
            let tenant = try await t.makeTenant("Alpha")
            let lead = try await LeadRowTests().draft(tenant, t, phone: "0699887766", at: t.clock.now())
            let store = try SQLiteLeadStore(path: t.app.config.sqlitePath)
            defer { store.close() }
            struct Refused: Error {}
            let organization = tenant.id
            @Sendable func note(_ text: String) -> @Sendable (RawSQLite) throws -> Void {
                { database in
                    try database.run(
                        "INSERT INTO \"v1_calls\" (\"organization_id\", \"day\", \"endpoint\", \"page_code\", \"calls\", \"last_at\") VALUES (?, ?, ?, ?, ?, ?)",
                        [
                            .text(tenant.id.uuidString), .text("2026-12-01"), .text(text), .text(""), .integer(1),
                            .float(0),
                        ])
                }
            }
            let failing: @Sendable (RawSQLite) throws -> Void = { database in
                try note("refusé")(database)
                throw Refused()
            }
            let (outcomes, results) = try store.cycle([lead], jobs: [note("avant"), failing, note("après")])
            guard case .stored = outcomes.first else {
                Issue.record("the lead was not stored: \(outcomes)")
                return
            }
            #expect(results.map { $0 == nil } == [true, false, true])
            #expect(try await Lead.find(lead.id, on: t.db) != nil)
            let rows = try await (t.db as! any SQLDatabase).select().column("endpoint").from("v1_calls").all()
                .map { try $0.decode(column: "endpoint", as: String.self) }
            #expect(rows.sorted() == ["après", "avant"])
        }
    }
}
