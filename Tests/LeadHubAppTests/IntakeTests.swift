import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct IntakeTests {
    static var lead: [String: Any] {
        [
            "phone": "06 12 48 53 78", "nom": "Dupont", "prenom": "Marie", "email": "marie@exemple.fr",
            "code_postal": "20090", "statut_occupant": "propriétaire", "type_logement": "maison",
            "utm_source": "taboola", "session_id": "sess-1", "lp_code": "LP-001",
            "consent": [
                "phone": true, "email": false, "text": "J'accepte d'être rappelé.", "url": "https://lp.example/",
            ],
            "projet": "toiture plein sud",
        ]
    }

    func submit(
        _ t: TestApp, key: String, body: [String: Any], headers extra: HTTPHeaders = [:]
    ) async throws -> TestingHTTPResponse {
        var headers = extra
        headers.replaceOrAdd(name: .authorization, value: "Token \(key)")
        return try await t.api(.POST, "/api/v1/leads", json: body, headers: headers)
    }

    func withForm(_ body: [String: Any], _ code: String = "PV-001") -> [String: Any] {
        var copy = body
        copy["form_code"] = code
        return copy
    }

    @Test func organizationKeyStoresANormalizedLeadBeforeAnswering() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let response = try await submit(t, key: tenant.apiKeyRaw, body: withForm(Self.lead))
            #expect(response.status == .created)
            let body = try response.json()
            #expect(body["status"] as? String == "accepted")
            #expect(body["form_code"] as? String == "PV-001")
            let idText = try #require(body["id"] as? String)
            let id = try #require(UUID(uuidString: idText))
            let stored = try #require(try await Lead.find(id, on: t.db))
            #expect(stored.phone == "+33612485378")
            #expect(stored.departement == "2A")
            #expect(stored.statutOccupant == "proprietaire")
            #expect(stored.crmId == tenant.crm.id)
            #expect(stored.accountId == tenant.account.id)
            #expect(stored.landingPageId == tenant.landingPage.id)
            #expect(stored.diffusionSourceId == tenant.source.id)
            #expect(stored.consentPhone && !stored.consentEmail)
            #expect(stored.consentText == "J'accepte d'être rappelé.")
            #expect(stored.consentAt == t.clock.now())
            #expect(stored.extra["projet"] == .string("toiture plein sud"))
            #expect(stored.status == "received")
            #expect(stored.apiKeyId == tenant.apiKey.id)
            #expect(try await LeadEvent.query(on: t.db).filter(\.$leadId == id).count() == 0)
            #expect(id.uuidString.dropFirst(14).first == "7")
        }
    }

    @Test func formKeySubmitsToItsFormOnly() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let ok = try await submit(t, key: tenant.form.formKey, body: Self.lead)
            #expect(ok.status == .created)
            let other = try await submit(t, key: tenant.form.formKey, body: withForm(Self.lead, "PAC-009"))
            #expect(other.status == .unprocessableEntity)
            #expect(try other.fieldErrors()["form_code"] != nil)
        }
    }

    @Test func missingUnknownAndRevokedKeysAre401() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let none = try await t.api(.POST, "/api/v1/leads", json: withForm(Self.lead))
            #expect(none.status == .unauthorized)
            #expect(try none.json()["error"] as? String != nil)
            #expect(try await submit(t, key: "lhk_inconnue", body: withForm(Self.lead)).status == .unauthorized)
            #expect(try await submit(t, key: "lhf_inconnue", body: Self.lead).status == .unauthorized)
            _ = try await t.api(.DELETE, "/api/admin/api-keys/\(tenant.apiKey.id!)", token: tenant.adminToken)
            #expect(try await submit(t, key: tenant.apiKeyRaw, body: withForm(Self.lead)).status == .unauthorized)
        }
    }

    @Test func badBodiesGetClearAnswers() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .authorization, value: "Token \(tenant.apiKeyRaw)")
            func raw(_ body: String, type: HTTPMediaType = .json) async throws -> TestingHTTPResponse {
                var h = headers
                h.contentType = type
                return try await t.app.testing().performTest(
                    request: TestingHTTPRequest(
                        method: .POST, url: "/api/v1/leads", headers: h, body: ByteBuffer(string: body)))
            }
            #expect(try await raw("{\"phone\": ").status == .badRequest)
            #expect(try await raw("[1, 2]").status == .badRequest)
            #expect(try await raw("phone=0612485378", type: .urlEncodedForm).status == .unsupportedMediaType)
            let huge =
                "{\"form_code\": \"PV-001\", \"phone\": \"0612485378\", \"notes\": \""
                + String(repeating: "x", count: 70_000) + "\"}"
            let tooLarge = try await raw(huge)
            #expect(tooLarge.status == .payloadTooLarge)
            #expect(try tooLarge.json()["error"] as? String != nil)
            #expect(try await Lead.query(on: t.db).filter(\.$id != tenant.lead.id!).count() == 0)
        }
    }

    @Test func aStrictOrganizationAnswers422InFrenchAndStoresNothing() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            tenant.organization.intakeStrict = true
            try await tenant.organization.save(on: t.db)
            let response = try await submit(
                t, key: tenant.apiKeyRaw,
                body: [
                    "form_code": "PV-001", "phone": "123", "email": "non", "code_postal": "75008", "departement": "92",
                ])
            #expect(response.status == .unprocessableEntity)
            let errors = try response.fieldErrors()
            #expect(errors["phone"]?.first?.contains("10 chiffres") == true)
            #expect(errors["email"] == ["Adresse e-mail invalide."])
            #expect(errors["departement"] != nil)
            #expect(errors["nom"] == ["Ce champ est obligatoire pour ce produit."])
            #expect(try await Lead.query(on: t.db).filter(\.$id != tenant.lead.id!).count() == 0)
            let unknownForm = try await submit(t, key: tenant.apiKeyRaw, body: withForm(Self.lead, "XX-404"))
            #expect(try unknownForm.fieldErrors()["form_code"] == ["Formulaire inconnu : XX-404."])
        }
    }

    @Test func archivedFormRefusesLeadsWith403() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await t.api(.POST, "/api/admin/forms/\(tenant.form.id!)/archive", token: tenant.adminToken)
            let response = try await submit(t, key: tenant.apiKeyRaw, body: withForm(Self.lead))
            #expect(response.status == .forbidden)
            #expect((try response.json()["error"] as? String)?.contains("archivé") == true)
        }
    }

    @Test func samePhoneAndProductTheSameDayIsADuplicateNeverSent() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            var body = withForm(Self.lead)
            body["session_id"] = "s1"
            let first = try await submit(t, key: tenant.apiKeyRaw, body: body).json()
            body["session_id"] = "s2"
            body["phone"] = "+33 6 12 48 53 78"
            let second = try await submit(t, key: tenant.apiKeyRaw, body: body)
            #expect(second.status == .created)
            #expect(try second.json()["status"] as? String == "duplicate")
            #expect(try second.json()["duplicate_of"] as? String == first["id"] as? String)
            body["session_id"] = "s3"
            let third = try await submit(t, key: tenant.apiKeyRaw, body: body).json()
            #expect(third["duplicate_of"] as? String == first["id"] as? String)

            // Another product is not a duplicate.
            _ = try await t.makeForm(in: tenant.id, account: tenant.account, name: "ITE", product: "ITE")
            var ite = body
            ite["form_code"] = "ITE-001"
            ite["surface_habitable"] = 95
            ite["session_id"] = "s4"
            let other = try await submit(t, key: tenant.apiKeyRaw, body: ite)
            #expect(try other.json()["status"] as? String == "accepted")

            // The next day in Paris, the same lead is accepted again.
            t.clock.advance(by: 86_400)
            body["session_id"] = "s5"
            let nextDay = try await submit(t, key: tenant.apiKeyRaw, body: body)
            #expect(try nextDay.json()["status"] as? String == "accepted")
        }
    }

    @Test func idempotencyKeyReplaysTheStoredAnswer() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let headers: HTTPHeaders = ["Idempotency-Key": "commande-42"]
            let first = try await submit(t, key: tenant.apiKeyRaw, body: withForm(Self.lead), headers: headers)
            #expect(first.status == .created)
            #expect(first.headers.first(name: "Idempotent-Replayed") == nil)
            t.clock.advance(by: 3_600)
            let again = try await submit(t, key: tenant.apiKeyRaw, body: withForm(Self.lead), headers: headers)
            #expect(again.status == .created)
            #expect(again.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try again.json()["id"] as? String == first.json()["id"] as? String)
            var changed = withForm(Self.lead)
            changed["nom"] = "Martin"
            let mismatch = try await submit(t, key: tenant.apiKeyRaw, body: changed, headers: headers)
            #expect(mismatch.status == .unprocessableEntity)
            #expect(try mismatch.fieldErrors()["Idempotency-Key"] != nil)
            #expect(try await Lead.query(on: t.db).filter(\.$id != tenant.lead.id!).count() == 1)
            let tooLong = try await submit(
                t, key: tenant.apiKeyRaw, body: withForm(Self.lead),
                headers: ["Idempotency-Key": String(repeating: "k", count: 256)])
            #expect(tooLong.status == .unprocessableEntity)
        }
    }

    @Test func fiftyConcurrentRequestsWithOneKeyCreateOneLead() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let statuses = try await withThrowingTaskGroup(of: (UInt, String?).self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let response = try await submit(
                            t, key: tenant.apiKeyRaw, body: withForm(Self.lead),
                            headers: ["Idempotency-Key": "même-clé"])
                        return (response.status.code, try? response.json()["id"] as? String)
                    }
                }
                var all: [(UInt, String?)] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(try await Lead.query(on: t.db).filter(\.$id != tenant.lead.id!).count() == 1)
            #expect(statuses.allSatisfy { $0.0 == 201 || $0.0 == 409 })
            let ids = Set(statuses.filter { $0.0 == 201 }.compactMap(\.1))
            #expect(ids.count == 1)
        }
    }

    @Test func doubleClickFromTheSameSessionReturnsTheFirstLead() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let first = try await submit(t, key: tenant.apiKeyRaw, body: withForm(Self.lead)).json()
            t.clock.advance(by: 2)
            let second = try await submit(t, key: tenant.apiKeyRaw, body: withForm(Self.lead)).json()
            #expect(second["id"] as? String == first["id"] as? String)
            #expect(try await Lead.query(on: t.db).filter(\.$id != tenant.lead.id!).count() == 1)
            t.clock.advance(by: 6)
            let later = try await submit(t, key: tenant.apiKeyRaw, body: withForm(Self.lead)).json()
            #expect(later["id"] as? String != first["id"] as? String)
            #expect(later["status"] as? String == "duplicate")
        }
    }

    @Test func browserSubmissionsAreRateLimitedPerAddress() async throws {
        try await TestApp.run(configure: { $0.trustProxy = true }) { t in
            let tenant = try await t.makeTenant("Alpha")
            t.app.intakeLimits = IntakeLimits(
                perKey: RateLimiter(capacity: 100, perSecond: 100), perAddress: RateLimiter(capacity: 3, perSecond: 0.1)
            )
            var last: TestingHTTPResponse? = nil
            for index in 0..<4 {
                var body = Self.lead
                body["session_id"] = "s\(index)"
                last = try await submit(
                    t, key: tenant.form.formKey, body: body, headers: ["X-Forwarded-For": "203.0.113.5"])
            }
            #expect(last?.status == .tooManyRequests)
            #expect(last?.headers.first(name: .retryAfter) != nil)
            let otherAddress = try await submit(
                t, key: tenant.form.formKey, body: Self.lead, headers: ["X-Forwarded-For": "198.51.100.1"])
            #expect(otherAddress.status == .created)
        }
    }

    @Test func formKeyHonoursAllowedOriginsAndAnswersCORS() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await t.api(
                .PATCH, "/api/admin/forms/\(tenant.form.id!)", token: tenant.adminToken,
                json: ["allowed_origins": ["https://solaire.example"]])
            let allowed = try await submit(
                t, key: tenant.form.formKey, body: Self.lead, headers: ["Origin": "https://solaire.example"])
            #expect(allowed.status == .created)
            #expect(allowed.headers.first(name: .accessControlAllowOrigin) == "https://solaire.example")
            let refused = try await submit(
                t, key: tenant.form.formKey, body: Self.lead, headers: ["Origin": "https://pirate.example"])
            #expect(refused.status == .forbidden)
            let preflight = try await t.app.testing().performTest(
                request: TestingHTTPRequest(
                    method: .OPTIONS, url: "/api/v1/leads", headers: ["Origin": "https://solaire.example"],
                    body: ByteBuffer()))
            #expect(preflight.status == .noContent)
            #expect(preflight.headers.first(name: .accessControlAllowHeaders)?.contains("Idempotency-Key") == true)
        }
    }

    @Test func oneOrganizationsKeyNeverReachesAnothersForms() async throws {
        try await TestApp.run { t in
            let alpha = try await t.makeTenant("Alpha")
            let bravo = try await t.makeTenant("Bravo")
            _ = try await t.api(.POST, "/api/admin/forms/\(bravo.form.id!)/archive", token: bravo.adminToken)
            // Alpha's key with the code both organizations use: Alpha's form, never Bravo's.
            let response = try await submit(t, key: alpha.apiKeyRaw, body: withForm(Self.lead))
            #expect(response.status == .created)
            let idText = try #require(try response.json()["id"] as? String)
            let id = try #require(UUID(uuidString: idText))
            #expect(try await Lead.find(id, on: t.db)?.organizationId == alpha.id)
            #expect(
                try await Lead.query(on: t.db).filter(\.$organizationId == bravo.id).filter(\.$id != bravo.lead.id!)
                    .count() == 0)
            // Bravo's duplicate rule does not see Alpha's leads.
            _ = try await t.api(.POST, "/api/admin/forms/\(bravo.form.id!)/unarchive", token: bravo.adminToken)
            let bravoLead = try await submit(t, key: bravo.apiKeyRaw, body: withForm(Self.lead))
            #expect(try bravoLead.json()["status"] as? String == "accepted")
        }
    }

    @Test func randomBodiesNeverCauseA500() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            var generator = SeededGenerator(seed: 42)
            let values: [Any] = [
                "", "0612485378", "+33 6", 12, -1, 3.5, true, NSNull(), [1, "a"], ["x": ["y": 1]],
                String(repeating: "é", count: 300), "75008", "2A", "<script>", "'; DROP TABLE leads; --",
            ]
            let keys = [
                "phone", "form_code", "email", "code_postal", "departement", "consent", "nom", "surface_habitable",
                "civilite", "lp_code", "session_id", "utm_source", "x y", "extra",
            ]
            for _ in 0..<150 {
                var body: [String: Any] = [:]
                for _ in 0..<Int.random(in: 0...6, using: &generator) {
                    body[keys.randomElement(using: &generator)!] = values.randomElement(using: &generator)!
                }
                if Bool.random(using: &generator) { body["form_code"] = "PV-001" }
                let response = try await submit(t, key: tenant.apiKeyRaw, body: body)
                #expect([201, 400, 422].contains(response.status.code), "\(body) → \(response.status.code)")
            }
        }
    }
}

/// A deterministic random generator, so that a failing fuzz case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct LeadWriterBatchTests {
    func draft(_ tenant: Tenant, phone: String, session: String?, hash: String, key: String? = nil, at date: Date)
        throws
        -> LeadDraft
    {
        var fields: [String: JSONValue] = ["phone": .string(phone)]
        if let session { fields["session_id"] = .string(session) }
        var draft = LeadDraft(
            id: UUID(), organizationId: tenant.id, formId: tenant.form.id!, accountId: tenant.account.id!,
            crmId: tenant.crm.id!, landingPageId: nil, diffusionSourceId: nil, productType: "PV", formCode: "PV-001",
            lead: try LeadSubmission.validate(fields).get(), ip: nil, userAgent: nil, apiKeyId: nil,
            submissionHash: hash, idempotencyKey: key, receivedAt: date, duplicateWindowHours: nil,
            excludeFromRouting: false, routing: .empty)
        draft.policy = tenant.organization.intakePolicy
        return draft
    }

    @Test func oneBatchAppliesTheRulesInArrivalOrder() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let now = t.clock.now()
            let first = try draft(tenant, phone: "0611223344", session: "s1", hash: "h1", key: "k1", at: now)
            let sameSession = try draft(tenant, phone: "0611223344", session: "s1", hash: "h1", at: now)
            let samePhone = try draft(tenant, phone: "0611223344", session: "s2", hash: "h2", at: now)
            let other = try draft(tenant, phone: "0622334455", session: "s3", hash: "h3", at: now)
            let outcomes = try await LeadWriter.store(
                [first, sameSession, samePhone, other], on: t.db as! any SQLDatabase)
            guard case .stored(let a) = outcomes[0], case .doubleSubmit(let b) = outcomes[1],
                case .stored(let c) = outcomes[2], case .stored(let d) = outcomes[3]
            else {
                Issue.record("unexpected outcomes \(outcomes)")
                return
            }
            #expect(a.status == .received && b.id == a.id)
            #expect(c.status == .duplicate && c.duplicateOf == a.id)
            #expect(d.status == .received)
            #expect(try await Lead.query(on: t.db).filter(\.$id != tenant.lead.id!).count() == 3)
            let replay = try await LeadWriter.store([first], on: t.db as! any SQLDatabase)
            guard case .replayed(let status, _) = replay[0] else {
                Issue.record("expected a replay, got \(replay)")
                return
            }
            #expect(status == 201)
        }
    }
}

@Suite struct DuplicateWindowSettingTests {
    @Test func organizationChoosesASlidingDuplicateWindow() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let bad = try await t.api(
                .PATCH, "/api/admin/organization", token: tenant.adminToken, json: ["duplicate_window_hours": "mille"])
            #expect(bad.status == .unprocessableEntity)
            let editor = try await t.api(
                .PATCH, "/api/admin/organization", token: tenant.editorToken, json: ["duplicate_window_hours": 48])
            #expect(editor.status == .forbidden)
            let set = try await t.api(
                .PATCH, "/api/admin/organization", token: tenant.adminToken, json: ["duplicate_window_hours": 48])
            #expect(try set.json()["duplicate_window_hours"] as? Int == 48)
            let lead: [String: Any] = [
                "form_code": "PV-001", "phone": "0633417258", "nom": "Xavier", "code_postal": "75008",
                "statut_occupant": "proprietaire", "type_logement": "maison",
            ]
            let headers: HTTPHeaders = ["Authorization": "Token \(tenant.apiKeyRaw)"]
            _ = try await t.api(.POST, "/api/v1/leads", json: lead, headers: headers)
            t.clock.advance(by: 30 * 3600)
            var again = lead
            again["nom"] = "Yves"
            let within = try await t.api(.POST, "/api/v1/leads", json: again, headers: headers)
            #expect(try within.json()["status"] as? String == "duplicate")
            t.clock.advance(by: 49 * 3600)
            again["nom"] = "Zoé"
            let after = try await t.api(.POST, "/api/v1/leads", json: again, headers: headers)
            #expect(try after.json()["status"] as? String == "accepted")
        }
    }
}
