import Fluent
import LeadHubCore
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

/// Inside one organization, a user limited to one CRM sees nothing of another CRM: the same route
/// walk as the cross-tenant one, with the objects of the CRM the user does not see.
@Suite struct RestrictedUserIsolationTests {
    /// Objects of `tenant.crm` (CRM Un) that a user limited to `tenant.otherCrm` must not reach.
    static func hiddenIds(of tenant: Tenant) -> [String: String] {
        [
            "crm_id": tenant.crm.id!, "account_id": tenant.account.id!, "form_id": tenant.form.id!,
            "landing_page_id": tenant.landingPage.id!, "lead_id": tenant.lead.id!, "delivery_id": tenant.delivery.id!,
            "asset_id": tenant.asset.id!, "alert_id": tenant.alert.id!, "comment_id": tenant.comment.id!,
            "return_id": tenant.leadReturn.id!, "campaign_id": tenant.campaign.id!,
        ].mapValues(\.uuidString)
    }

    func restrictedEditor(_ t: TestApp, _ tenant: Tenant) async throws -> (String, BrowserSession) {
        let (_, token) = try await t.makeUser(
            in: tenant.id, role: .editor, email: "limite@alpha.test", crmIds: [tenant.otherCrm.id!])
        return (token, try await t.login(email: "limite@alpha.test"))
    }

    /// The fixture's alert becomes one about CRM Un; another one is about CRM Deux.
    func alerts(_ t: TestApp, _ tenant: Tenant) async throws -> Alert {
        tenant.alert.crmId = tenant.crm.id
        tenant.alert.message = "Alpha CRM Un refuse nos identifiants"
        try await tenant.alert.save(on: t.db)
        let mine = Alert()
        mine.organizationId = tenant.id
        mine.key = "crm_failing:\(tenant.otherCrm.id!)"
        mine.level = "critical"
        mine.category = "crm_failing"
        mine.message = "Alpha CRM Deux échoue"
        mine.details = "test"
        mine.firstSeenAt = t.clock.now()
        mine.lastSeenAt = t.clock.now()
        mine.count = 1
        mine.crmId = tenant.otherCrm.id
        try await mine.create(on: t.db)
        return mine
    }

    @Test func alertsAboutAnotherCrmAreNeitherListedNorResolvable() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let mine = try await alerts(t, tenant)
            let (token, session) = try await restrictedEditor(t, tenant)
            let listed = try await t.api(.GET, "/api/admin/alerts", token: token).items()
            #expect(listed.compactMap { $0["id"] as? String } == [mine.id!.uuidString])
            let page = try await t.browse(.GET, "/alerts", session: session).text
            #expect(page.contains("Alpha CRM Deux échoue") && !page.contains("Alpha CRM Un refuse"))
            let dashboard = try await t.browse(.GET, "/", session: session).text
            #expect(!dashboard.contains("Alpha CRM Un refuse"))
            let resolve = try await t.api(.POST, "/api/admin/alerts/\(tenant.alert.id!)/resolve", token: token)
            #expect(resolve.status == .notFound)
            #expect(try await Alert.find(tenant.alert.id, on: t.db)?.resolvedAt == nil)
            // The admin sees both; an alert about the whole organization is everyone's.
            #expect(try await t.api(.GET, "/api/admin/alerts", token: tenant.adminToken).items().count == 2)
            tenant.alert.crmId = nil
            try await tenant.alert.save(on: t.db)
            #expect(try await t.api(.GET, "/api/admin/alerts", token: token).items().count == 2)
        }
    }

    @Test func newAlertsRememberTheirCrmAccountAndForm() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let conditions = [
                AlertCondition(
                    key: "crm_auth:\(tenant.crm.id!)", level: .critical, category: "crm_auth", message: "m",
                    details: "d", crmId: tenant.crm.id),
                AlertCondition(
                    key: "form_silent:\(tenant.form.id!)", level: .warning, category: "traffic", message: "m",
                    details: "d", formId: tenant.form.id),
            ]
            let opened = try await AlertService.refresh(
                organizationId: tenant.id, conditions: conditions, now: t.clock.now(), on: t.db)
            let crmAlert = try #require(opened.first { $0.category == "crm_auth" })
            let formAlert = try #require(opened.first { $0.category == "traffic" })
            #expect(crmAlert.crmId == tenant.crm.id && crmAlert.accountId == nil)
            #expect(
                formAlert.formId == tenant.form.id && formAlert.accountId == tenant.account.id
                    && formAlert.crmId == tenant.crm.id)
        }
    }

    @Test func everyRouteAnswers404Or403ForTheObjectsOfACrmTheUserDoesNotSee() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            _ = try await alerts(t, tenant)
            let (token, session) = try await restrictedEditor(t, tenant)
            let hidden = Self.hiddenIds(of: tenant)
            // Everything else is the user's own organization: real ids of visible objects.
            var ids = TenantIsolationTests.objectIds(of: tenant)
            for (name, id) in hidden { ids[name] = id }
            let secrets = [
                tenant.account.name, tenant.subAccount.name, tenant.form.name, tenant.landingPage.name,
                tenant.lead.nom!,
                tenant.lead.email!, tenant.asset.label, tenant.form.formKey, "Alpha CRM Un refuse",
                tenant.campaign.name,
            ]
            let all = t.app.routes.all
            let routes = all.filter { $0.path.string != "logout" }
            var walked = 0
            for route in routes {
                let key = "\(route.method.rawValue) /\(route.path.string)"
                if TenantIsolationTests.publicRoutes.contains(key) { continue }
                let names = route.path.compactMap { component -> String? in
                    if case .parameter(let name) = component { return name }
                    return nil
                }
                let path = try TenantIsolationTests.path(of: route, ids: ids)
                let reachesHidden = names.contains { hidden[$0] != nil }
                // Only reads and the objects of the hidden CRM: changing one's own objects is allowed.
                guard route.method == .GET || reachesHidden else { continue }
                let body = TenantIsolationTests.hostileBody(towards: tenant)
                let response: TestingHTTPResponse
                if path.hasPrefix("/api/") {
                    let json = route.method == .GET || route.method == .DELETE ? nil : body as [String: Any]
                    response = try await t.api(route.method, path, token: token, json: json)
                } else {
                    response = try await t.browse(route.method, path, session: session, form: body)
                }
                walked += 1
                if reachesHidden {
                    #expect(
                        [.notFound, .forbidden].contains(response.status),
                        "\(key) answered \(response.status.code) for an object of a CRM the user does not see")
                }
                for secret in secrets {
                    #expect(
                        !response.text.contains(secret), "\(key) showed « \(secret) » to a user limited to another CRM")
                }
            }
            #expect(walked >= 40)
            // Nothing of CRM Un changed.
            #expect(try await Account.find(tenant.account.id, on: t.db)?.name == tenant.account.name)
            #expect(try await Form.find(tenant.form.id, on: t.db)?.formKey == tenant.form.formKey)
            #expect(try await Lead.find(tenant.lead.id, on: t.db)?.archivedAt == nil)
            #expect(try await Alert.find(tenant.alert.id, on: t.db)?.resolvedAt == nil)
        }
    }
}
