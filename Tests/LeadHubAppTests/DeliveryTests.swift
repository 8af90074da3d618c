import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Synchronization
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct DeliveryTests {
    /// A tenant whose CRM "Un" buys PV in 75 and 92 and sends to `fake`, with the account's token.
    func prepare(_ t: TestApp, fake: FakeCrm?, url: String? = nil) async throws -> Tenant {
        let tenant = try await t.makeTenant("Alpha")
        let crm = try await t.api(
            .PATCH, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken,
            json: [
                "api_url": url ?? fake!.url, "delivery_kind": "zr7",
                "orders": ["PV": ["active": true, "departements": ["75", "92"]]], "lead_prices": ["PV": 25.5],
            ])
        #expect(crm.status == .ok)
        let account = try await t.api(
            .PATCH, "/api/admin/accounts/\(tenant.account.id!)", token: tenant.adminToken,
            json: ["crm_tokens": ["PV": "token-compte-un-0001"]])
        #expect(account.status == .ok)
        // The fixture's own lead is not part of these stories.
        try await (t.db as! any SQLDatabase).update("deliveries").set("status", to: "cancelled").run()
        return tenant
    }

    func submit(_ t: TestApp, _ tenant: Tenant, phone: String = "0612485378", postalCode: String = "75008") async throws
        -> UUID
    {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .authorization, value: "Token \(tenant.apiKeyRaw)")
        let response = try await t.api(
            .POST, "/api/v1/leads",
            json: [
                "form_code": "PV-001", "phone": phone, "nom": "Dupont", "prenom": "Léa", "code_postal": postalCode,
                "email": "lea@exemple.fr", "statut_occupant": "proprietaire", "type_logement": "maison",
            ],
            headers: headers)
        #expect(response.status == .created)
        let text = try #require(try response.json()["id"] as? String)
        return try #require(UUID(uuidString: text))
    }

    func lead(_ t: TestApp, _ tenant: Tenant, _ id: UUID) async throws -> [String: Any] {
        try await t.api(.GET, "/api/admin/leads/\(id)", token: tenant.adminToken).json()
    }

    func delivery(_ t: TestApp, _ tenant: Tenant, _ id: UUID) async throws -> [String: Any] {
        try #require(try await lead(t, tenant, id)["delivery"] as? [String: Any])
    }

    /// Moves the clock past the next attempt and runs the worker.
    func retryDue(_ t: TestApp, _ tenant: Tenant, _ id: UUID) async throws {
        t.clock.advance(by: 3_600 * 25)
        try await t.app.deliveryWorker.runOnce()
    }

    @Test func acceptedLeadIsRoutedAndDeliveredInTheZr7Format() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let id = try await submit(t, tenant)
            let pending = try await lead(t, tenant, id)
            let routing = try #require(pending["routing"] as? [String: Any])
            #expect(routing["crm_id"] as? String == tenant.crm.id!.uuidString)
            #expect(routing["reason"] as? String == "origin_has_order")
            #expect((routing["explanation"] as? String)?.contains("département 75") == true)
            #expect(routing["unit_price"] as? Double == 25.5)
            #expect((pending["delivery"] as? [String: Any])?["status"] as? String == "pending")

            #expect(try await t.app.deliveryWorker.runOnce() == 1)
            let done = try await delivery(t, tenant, id)
            #expect(done["status"] as? String == "delivered")
            #expect(done["attempts"] as? Int == 1)
            #expect(try await lead(t, tenant, id)["status"] as? String == "delivered")
            let sent = try #require(fake.received.first)
            #expect(sent.authorization == "token-compte-un-0001")
            #expect(sent.deliveryId == (done["id"] as? String)?.lowercased())
            let body = try #require(try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [String: Any])
            #expect(body["phone"] as? String == "0612485378")
            #expect(body["nom"] as? String == "Dupont")
            #expect(
                ((body["custom_fields"] as? [String: Any])?["departement"] as? [String: Any])?["value"] as? String
                    == "75")
            // Nothing more to do.
            #expect(try await t.app.deliveryWorker.runOnce() == 0)
            // The attempt is on the lead's timeline.
            let attempts = try await DeliveryAttempt.query(on: t.db).filter(\.$leadId == id).all()
            #expect(attempts.count == 1 && attempts[0].httpStatus == 201)
        }
    }

    @Test(arguments: [
        (HTTPResponseStatus.ok, "{\"message\": \"Doublon\"}", "duplicate", "crm_duplicate"),
        (.badRequest, "champ manquant", "refused", "failed"),
        (.forbidden, "jeton invalide", "auth_error", "failed"),
    ])
    func finalAnswersEndTheDeliveryAfterOneAttempt(
        status: HTTPResponseStatus, body: String, expected: String, leadStatus: String
    )
        async throws
    {
        let fake = try await FakeCrm.start { _ in FakeCrm.Reply(status: status, body: body) }
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let id = try await submit(t, tenant)
            try await t.app.deliveryWorker.runOnce()
            let done = try await delivery(t, tenant, id)
            #expect(done["status"] as? String == expected)
            #expect(done["attempts"] as? Int == 1)
            #expect(try await lead(t, tenant, id)["status"] as? String == leadStatus)
            try await retryDue(t, tenant, id)
            #expect(fake.received.count == 1)
        }
    }

    @Test func serverErrorIsRetriedOnScheduleUntilTheCrmRecovers() async throws {
        let fake = try await FakeCrm.start { count in
            count <= 2 ? FakeCrm.Reply(status: .internalServerError, body: "panne") : FakeCrm.Reply()
        }
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let id = try await submit(t, tenant)
            try await t.app.deliveryWorker.runOnce()
            var state = try await delivery(t, tenant, id)
            #expect(state["status"] as? String == "retrying")
            #expect((state["last_error"] as? String)?.contains("HTTP 500") == true)
            // Not due yet: the first wait is a minute.
            #expect(try await t.app.deliveryWorker.runOnce() == 0)
            t.clock.advance(by: 70)
            try await t.app.deliveryWorker.runOnce()
            state = try await delivery(t, tenant, id)
            #expect(state["attempts"] as? Int == 2)
            t.clock.advance(by: 340)
            try await t.app.deliveryWorker.runOnce()
            state = try await delivery(t, tenant, id)
            #expect(state["status"] as? String == "delivered")
            #expect(state["attempts"] as? Int == 3)
            // The same delivery id every time.
            #expect(Set(fake.received.map(\.deliveryId)).count == 1)
        }
    }

    @Test func tooManyRequestsWaitsWhatTheCrmAsks() async throws {
        let fake = try await FakeCrm.start { count in
            count == 1
                ? FakeCrm.Reply(status: .tooManyRequests, body: "slow", headers: [("Retry-After", "600")])
                : FakeCrm.Reply()
        }
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let id = try await submit(t, tenant)
            try await t.app.deliveryWorker.runOnce()
            t.clock.advance(by: 120)
            #expect(try await t.app.deliveryWorker.runOnce() == 0)
            t.clock.advance(by: 500)
            #expect(try await t.app.deliveryWorker.runOnce() == 1)
            #expect(try await delivery(t, tenant, id)["status"] as? String == "delivered")
        }
    }

    @Test func hangingCrmTimesOutAndUnreachableCrmIsRetried() async throws {
        // The CRM would answer after 10 s; the worker gives up after 0.5 s (well under 5 s even on
        // a loaded 2-core machine running the suite in parallel).
        let fake = try await FakeCrm.start { _ in FakeCrm.Reply(delay: .seconds(10)) }
        defer { Task { await fake.shutdown() } }
        let closed = try FakeCrm.closedPort()
        try await TestApp.run(configure: { $0.deliveryTimeout = 0.5 }) { t in
            let tenant = try await prepare(t, fake: fake)
            let id = try await submit(t, tenant)
            let began = Date()
            try await t.app.deliveryWorker.runOnce()
            #expect(Date().timeIntervalSince(began) < 5)
            var state = try await delivery(t, tenant, id)
            #expect(state["status"] as? String == "retrying")
            #expect((state["last_error"] as? String)?.contains("délai") == true)

            _ = try await t.api(
                .PATCH, "/api/admin/crms/\(tenant.crm.id!)", token: tenant.adminToken,
                json: ["api_url": "http://127.0.0.1:\(closed)/lead/api/create_lead/"])
            t.clock.advance(by: 70)
            try await t.app.deliveryWorker.runOnce()
            state = try await delivery(t, tenant, id)
            #expect(state["status"] as? String == "retrying")
            #expect((state["last_error"] as? String)?.contains("Connexion impossible") == true, "\(state)")
        }
    }

    @Test func unparseableAnswerCountsByItsStatus() async throws {
        let fake = try await FakeCrm.start { count in
            count == 1
                ? FakeCrm.Reply(status: .badGateway, body: "<html>\u{0}\u{7}garbage")
                : FakeCrm.Reply(status: .created, body: "not json at all")
        }
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let id = try await submit(t, tenant)
            try await t.app.deliveryWorker.runOnce()
            #expect(try await delivery(t, tenant, id)["status"] as? String == "retrying")
            t.clock.advance(by: 70)
            try await t.app.deliveryWorker.runOnce()
            #expect(try await delivery(t, tenant, id)["status"] as? String == "delivered")
        }
    }

    @Test func retriesRunOutAsExhausted() async throws {
        let fake = try await FakeCrm.start { _ in FakeCrm.Reply(status: .serviceUnavailable, body: "down") }
        defer { Task { await fake.shutdown() } }
        try await TestApp.run(configure: {
            $0.retrySchedule = RetrySchedule(delays: [1, 2]); $0.breakerThreshold = 100
        }) { t in
            let tenant = try await prepare(t, fake: fake)
            let id = try await submit(t, tenant)
            for _ in 0..<3 {
                try await t.app.deliveryWorker.runOnce()
                t.clock.advance(by: 5)
            }
            let state = try await delivery(t, tenant, id)
            #expect(state["status"] as? String == "exhausted")
            #expect(state["attempts"] as? Int == 3)
            #expect(try await lead(t, tenant, id)["status"] as? String == "failed")
            #expect(try await t.app.deliveryWorker.runOnce() == 0)
        }
    }

    @Test func missingTokenNeedsAHumanWithoutCallingTheCrm() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            _ = try await t.api(
                .PATCH, "/api/admin/accounts/\(tenant.account.id!)", token: tenant.adminToken,
                json: ["crm_tokens": ["PV": NSNull()]])
            let id = try await submit(t, tenant)
            try await t.app.deliveryWorker.runOnce()
            let state = try await delivery(t, tenant, id)
            #expect(state["status"] as? String == "auth_error")
            #expect((state["last_error"] as? String)?.contains("Aucun jeton PV") == true)
            #expect(fake.received.isEmpty)
        }
    }

    @Test func leadOutsideTheOriginsOrderIsReroutedWithTheReceivingCrmsToken() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let other = try await t.api(
                .PATCH, "/api/admin/crms/\(tenant.otherCrm.id!)", token: tenant.adminToken,
                json: [
                    "api_url": fake.url, "orders": ["PV": ["active": true, "departements": ["33"]]],
                    "lead_prices": ["PV": 30], "routing_limits": ["PV": 1],
                    "redistribution_tokens": ["PV": "token-redistribution-deux"],
                ])
            #expect(other.status == .ok)
            #expect((try other.json()["redistribution_tokens"] as? [String: String])?["PV"] == "toke••••deux")
            let first = try await submit(t, tenant, phone: "0611223344", postalCode: "33000")
            let routing = try #require(try await lead(t, tenant, first)["routing"] as? [String: Any])
            #expect(routing["crm_id"] as? String == tenant.otherCrm.id!.uuidString)
            #expect(routing["reason"] as? String == "rerouted_to_\(tenant.otherCrm.slug)")
            #expect(routing["rerouted"] as? Bool == true)
            #expect(routing["unit_price"] as? Double == 30)
            // The monthly limit of one rerouted lead is reached: the next goes back to its origin.
            let second = try await submit(t, tenant, phone: "0622334455", postalCode: "33000")
            let fallback = try #require(try await lead(t, tenant, second)["routing"] as? [String: Any])
            #expect(fallback["reason"] as? String == "no_order_fallback_origin")
            try await t.app.deliveryWorker.runOnce()
            let tokens = Set(fake.received.compactMap(\.authorization))
            #expect(tokens == ["token-redistribution-deux", "token-compte-un-0001"])
        }
    }

    @Test func duplicateLeadIsStoredButNeverSent() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            _ = try await submit(t, tenant)
            let again = try await submit(t, tenant, postalCode: "92100")
            let body = try await lead(t, tenant, again)
            #expect((body["routing"] as? [String: Any])?["reason"] as? String == "duplicate_not_sent")
            #expect((body["delivery"] as? [String: Any])?["status"] as? String == "not_sent")
            try await t.app.deliveryWorker.runOnce()
            #expect(fake.received.count == 1)
        }
    }

    @Test func repeatedFailuresOpenTheBreakerThenAProbeClosesIt() async throws {
        let healthy = Flag()
        let fake = try await FakeCrm.start { _ in
            healthy.value.load(ordering: .relaxed)
                ? FakeCrm.Reply() : FakeCrm.Reply(status: .internalServerError, body: "x")
        }
        defer { Task { await fake.shutdown() } }
        try await TestApp.run(configure: {
            $0.breakerThreshold = 2; $0.breakerCooldown = 600
        }) { t in
            let tenant = try await prepare(t, fake: fake)
            for index in 0..<4 { _ = try await submit(t, tenant, phone: "061234560\(index)") }
            // Two failures open the breaker; the leads left are not attempted meanwhile.
            try await t.app.deliveryWorker.runOnce()
            let afterFirst = fake.received.count
            #expect(afterFirst == 4)
            t.clock.advance(by: 120)
            #expect(try await t.app.deliveryWorker.runOnce() == 0)
            #expect(t.app.deliveryWorker.breakerStates(now: t.clock.now())[tenant.crm.id!]?.0 == .open)
            healthy.value.store(true, ordering: .relaxed)
            t.clock.advance(by: 600)
            // Half open: one probe first; its success closes the breaker.
            #expect(try await t.app.deliveryWorker.runOnce() == 1)
            #expect(t.app.deliveryWorker.breakerStates(now: t.clock.now())[tenant.crm.id!]?.0 == .closed)
            #expect(try await t.app.deliveryWorker.runOnce() == 3)
        }
    }

    @Test func queueActionsRetryCancelRetryAllPurgeAndForce() async throws {
        let fake = try await FakeCrm.start { count in
            count == 1 ? FakeCrm.Reply(status: .badRequest, body: "refus") : FakeCrm.Reply()
        }
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let refused = try await submit(t, tenant, phone: "0611223301")
            try await t.app.deliveryWorker.runOnce()
            let stats = try await t.api(.GET, "/api/admin/deliveries/stats", token: tenant.viewerToken).json()
            #expect((stats["counts"] as? [String: Int])?["refused"] == 1)
            let crms = try #require(stats["crms"] as? [[String: Any]])
            let health = try #require(crms.first { $0["crm_id"] as? String == tenant.crm.id!.uuidString })
            #expect(health["needs_human"] as? Int == 1)
            #expect(health["success_rate_24h"] as? Double == 0)

            // A viewer may look but not act.
            let deliveryId = try #require(try await delivery(t, tenant, refused)["id"] as? String)
            #expect(
                try await t.api(.POST, "/api/admin/deliveries/\(deliveryId)/retry", token: tenant.viewerToken).status
                    == .forbidden)
            let retried = try await t.api(.POST, "/api/admin/deliveries/\(deliveryId)/retry", token: tenant.editorToken)
            #expect(retried.status == .ok)
            #expect(try await lead(t, tenant, refused)["status"] as? String == "received")
            try await t.app.deliveryWorker.runOnce()
            #expect(try await delivery(t, tenant, refused)["status"] as? String == "delivered")
            let detail = try await t.api(.GET, "/api/admin/deliveries/\(deliveryId)", token: tenant.viewerToken).json()
            #expect(
                (detail["attempts"] as? [[String: Any]])?.map { $0["outcome"] as? String } == ["refused", "delivered"])
            #expect(
                try await t.api(.POST, "/api/admin/deliveries/\(deliveryId)/retry", token: tenant.editorToken).status
                    == .conflict)

            // Cancel a waiting one.
            let waiting = try await submit(t, tenant, phone: "0611223302")
            let waitingId = try #require(try await delivery(t, tenant, waiting)["id"] as? String)
            let cancelled = try await t.api(
                .POST, "/api/admin/deliveries/\(waitingId)/cancel", token: tenant.editorToken)
            #expect(try (cancelled.json()["delivery"] as? [String: Any])?["status"] as? String == "cancelled")
            #expect(try await lead(t, tenant, waiting)["status"] as? String == "not_sent")
            #expect(try await t.app.deliveryWorker.runOnce() == 0)

            // Force it to the other CRM (admins only): a new delivery, billable.
            _ = try await t.api(
                .PATCH, "/api/admin/crms/\(tenant.otherCrm.id!)", token: tenant.adminToken,
                json: [
                    "api_url": fake.url, "lead_prices": ["PV": 40], "redistribution_tokens": ["PV": "jeton-deux-0000"],
                ])
            let refusedForce = try await t.api(
                .POST, "/api/admin/leads/\(waiting)/force", token: tenant.editorToken,
                json: ["crm_id": tenant.otherCrm.id!.uuidString])
            #expect(refusedForce.status == .forbidden)
            let forced = try await t.api(
                .POST, "/api/admin/leads/\(waiting)/force", token: tenant.adminToken,
                json: ["crm_id": tenant.otherCrm.id!.uuidString])
            #expect(forced.status == .created)
            try await t.app.deliveryWorker.runOnce()
            let forcedLead = try await lead(t, tenant, waiting)
            #expect(forcedLead["status"] as? String == "delivered")
            #expect((forcedLead["routing"] as? [String: Any])?["rerouted"] as? Bool == true)
            #expect((forcedLead["routing"] as? [String: Any])?["unit_price"] as? Double == 40)
            #expect(fake.received.last?.authorization == "jeton-deux-0000")

            // Retry all of a CRM, then purge delivered rows older than a day.
            let list = try await t.api(.GET, "/api/admin/deliveries?status=delivered", token: tenant.viewerToken)
                .items()
            #expect(list.count == 2)
            let none = try await t.api(
                .POST, "/api/admin/deliveries/retry-all", token: tenant.editorToken,
                json: ["crm_id": tenant.crm.id!.uuidString])
            #expect(try none.json()["count"] as? Int == 0)
            t.clock.advance(by: 2 * 86_400)
            let purged = try await t.api(
                .POST, "/api/admin/deliveries/purge", token: tenant.adminToken, json: ["older_than_days": 1])
            #expect(try purged.json()["count"] as? Int == 2)
            #expect(
                try await t.api(.GET, "/api/admin/deliveries?status=delivered", token: tenant.viewerToken).items()
                    .isEmpty)
            let activity = try await ActivityEntry.query(on: t.db).filter(\.$organizationId == tenant.id).all().map(
                \.summary)
            #expect(activity.contains("Lead envoyé de force vers \(tenant.otherCrm.name)"))
        }
    }

    @Test func queueAndLeadPagesShowDeliveriesAndLetPeopleAct() async throws {
        let fake = try await FakeCrm.start { count in
            count == 1 ? FakeCrm.Reply(status: .forbidden, body: "jeton refusé") : FakeCrm.Reply()
        }
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let id = try await submit(t, tenant, phone: "0611223303")
            try await t.app.deliveryWorker.runOnce()
            let session = try await t.login(email: tenant.admin.email)
            let queue = try await t.browse(.GET, "/queue", session: session).text
            #expect(queue.contains("Santé des CRM"))
            #expect(queue.contains("Erreur d&#39;authentification") || queue.contains("Erreur d'authentification"))
            #expect(queue.contains("jeton refusé"))
            let filtered = try await t.browse(
                .GET, "/queue?status=needs_human&crm_id=\(tenant.crm.id!)", session: session)
            #expect(filtered.status == .ok)

            let page = try await t.browse(.GET, "/leads/\(id)", session: session).text
            #expect(page.contains("Routage et livraison"))
            #expect(page.contains("origin_has_order"))
            #expect(page.contains("Tentative 1"))
            let retried = try await t.browse(
                .POST, "/leads/\(id)/delivery", session: session, form: ["action": "retry"])
            #expect(retried.status == .seeOther)
            try await t.app.deliveryWorker.runOnce()
            #expect(try await lead(t, tenant, id)["status"] as? String == "delivered")
            let after = try await t.browse(.GET, "/leads/\(id)", session: session).text
            #expect(after.contains("Tentative 2"))
            #expect(after.contains("Livré"))

            // The queue page's own actions.
            let waiting = try await submit(t, tenant, phone: "0611223304")
            let deliveryId = try #require(try await delivery(t, tenant, waiting)["id"] as? String)
            let cancelled = try await t.browse(
                .POST, "/queue/\(deliveryId)/actions", session: session, form: ["action": "cancel"])
            #expect(cancelled.status == .seeOther)
            #expect(try await delivery(t, tenant, waiting)["status"] as? String == "cancelled")
            let purge = try await t.browse(
                .POST, "/queue/actions", session: session, form: ["action": "purge", "older_than_days": "1"])
            #expect(purge.status == .seeOther)
        }
    }

    @Test func tokensSetOnAccountAndFormPagesAreUsedTheFormsFirst() async throws {
        let fake = try await FakeCrm.start()
        defer { Task { await fake.shutdown() } }
        try await TestApp.run { t in
            let tenant = try await prepare(t, fake: fake)
            let session = try await t.login(email: tenant.admin.email)
            let accountPage = try await t.browse(.GET, "/accounts/\(tenant.account.id!)", session: session).text
            #expect(accountPage.contains("enregistré : toke••••0001"))
            let account = try #require(try await Account.find(tenant.account.id, on: t.db))
            let saved = try await t.browse(
                .POST, "/accounts/\(tenant.account.id!)", session: session,
                form: [
                    "name": account.name, "crm_id": tenant.crm.id!.uuidString, "product_types[]": "PV",
                    "crm_token_PV": "nouveau-jeton-du-compte",
                ])
            #expect(saved.status == .seeOther)
            _ = try await submit(t, tenant, phone: "0611223305")
            try await t.app.deliveryWorker.runOnce()
            #expect(fake.received.last?.authorization == "nouveau-jeton-du-compte")

            let form = try #require(try await Form.find(tenant.form.id, on: t.db))
            let formSaved = try await t.browse(
                .POST, "/forms/\(tenant.form.id!)", session: session,
                form: [
                    "account_id": tenant.account.id!.uuidString, "name": form.name, "product_type": "PV",
                    "code": form.code, "tracking_type": "gtm", "crm_token": "jeton-du-formulaire",
                ])
            #expect(formSaved.status == .seeOther)
            _ = try await submit(t, tenant, phone: "0611223306")
            try await t.app.deliveryWorker.runOnce()
            #expect(fake.received.last?.authorization == "jeton-du-formulaire")
            let formJSON = try await t.api(.GET, "/api/admin/forms/\(tenant.form.id!)", token: tenant.adminToken).json()
            #expect(formJSON["crm_token_set"] as? Bool == true)
            // Saving the form again without typing a token keeps it.
            _ = try await t.browse(
                .POST, "/forms/\(tenant.form.id!)", session: session,
                form: [
                    "account_id": tenant.account.id!.uuidString, "name": form.name, "product_type": "PV",
                    "code": form.code,
                    "tracking_type": "gtm", "crm_token": "",
                ])
            #expect(try await Form.find(tenant.form.id, on: t.db)?.crmTokenSealed != nil)
        }
    }
}

final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}
