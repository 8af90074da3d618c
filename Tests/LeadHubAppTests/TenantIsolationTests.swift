import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

/// Walks every registered route. A route added later is covered without touching this file,
/// as long as its parameters are named after a known object (or the walk fails and says which).
@Suite struct TenantIsolationTests {
    /// Routes anyone may call without an identity.
    static let publicRoutes: Set<String> = [
        "GET /health", "GET /ready", "GET /metrics", "GET /login", "POST /login", "POST /api/auth/token",
        "OPTIONS /api/v1/leads", "POST /api/v1/leads", "GET /media/:asset_file", "GET /t.js", "OPTIONS /api/v1/events",
        "POST /api/v1/events", "GET /r/:lp_code", "GET /go/:form_code", "POST /api/v1/returns",
        "GET /c/:campaign_code",
        // Hosted forms: the organization is named by `org`, checked by the handler (HostedFormsTests).
        "GET /f/embed.js", "GET /f/:form_code", "POST /f/:form_code", "GET /f/:form_code/communes",
        // The first version's calls (its keys are checked by the handlers).
        "OPTIONS /api/submit-lead", "POST /api/submit-lead", "OPTIONS /api/track/lp-visit", "POST /api/track/lp-visit",
        "OPTIONS /api/track/cta-click", "POST /api/track/cta-click", "OPTIONS /api/track/form-start",
        "POST /api/track/form-start",
    ]

    static func objectIds(of tenant: Tenant, backup: String = "leadhub-20260101-000000.sqlite") -> [String: String] {
        let ids: [String: UUID] = [
            "crm_id": tenant.crm.id!, "account_id": tenant.account.id!, "source_id": tenant.source.id!,
            "product_type_id": tenant.productType.id!, "user_id": tenant.admin.id!, "activity_id": tenant.activity.id!,
            "token_id": tenant.token.id!, "form_id": tenant.form.id!, "landing_page_id": tenant.landingPage.id!,
            "comment_id": tenant.comment.id!, "api_key_id": tenant.apiKey.id!, "lead_id": tenant.lead.id!,
            "asset_id": tenant.asset.id!, "delivery_id": tenant.delivery.id!,
            "invoice_id": tenant.invoice.id!, "alert_id": tenant.alert.id!, "return_id": tenant.leadReturn.id!,
            "campaign_id": tenant.campaign.id!,
        ]
        return ids.mapValues(\.uuidString).merging(["backup_name": backup]) { a, _ in a }
    }

    /// A body that tries to reach the other organization's objects through every reference field.
    static func hostileBody(towards tenant: Tenant) -> [String: String] {
        [
            "name": "Intrus", "email": "intrus@bravo.test", "password": "motdepasse-intrus-1", "role": "admin",
            "crm_id": tenant.crm.id!.uuidString, "parent_id": tenant.account.id!.uuidString,
            "crm_ids": tenant.crm.id!.uuidString, "account_ids": tenant.account.id!.uuidString, "code": "ZZ",
            "label": "Intrus", "category": "native", "current_password": "faux", "new_password": "x",
            "confirmation": "y", "account_id": tenant.account.id!.uuidString, "form_id": tenant.form.id!.uuidString,
            "landing_page_ids": tenant.landingPage.id!.uuidString,
            "diffusion_source_id": tenant.source.id!.uuidString, "product_type": "PV", "body": "Intrus",
            "ids[]": tenant.lead.id!.uuidString, "action": "delete", "phone": "06 98 71 54 32",
        ]
    }

    static func path(of route: Route, ids: [String: String]) throws -> String {
        try "/"
            + route.path.map { component -> String in
                switch component {
                case .constant(let text): return text
                case .parameter(let name):
                    guard let id = ids[name] else {
                        throw WalkError(
                            "Route \(route.method) \(route.path.string) : paramètre « \(name) » inconnu du test")
                    }
                    return id
                default:
                    throw WalkError("Route \(route.method) \(route.path.string) : composant non pris en charge")
                }
            }.joined(separator: "/")
    }

    struct WalkError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test func everyRouteAnswers404Or403ForAnotherOrganizationsObjects() async throws {
        try await TestApp.run { t in
            let alpha = try await t.makeTenant("Alpha")
            let bravo = try await t.makeTenant("Bravo")
            let session = try await t.login(email: bravo.admin.email)
            let ids = Self.objectIds(of: alpha)
            let secrets =
                [
                    alpha.organization.name, alpha.crm.name, alpha.otherCrm.name, alpha.account.name,
                    alpha.subAccount.name,
                    alpha.source.name, alpha.admin.email, alpha.activity.summary, alpha.form.name,
                    alpha.landingPage.name,
                    alpha.comment.body, alpha.apiKey.name, alpha.form.formKey, alpha.lead.nom!, alpha.lead.email!,
                    alpha.asset.label, alpha.campaign.name, alpha.campaign.seed,
                ] + ids.filter { $0.key != "backup_name" }.values
            // Logout last: it ends the session the walk uses.
            let all = t.app.routes.all
            let routes = all.filter { $0.path.string != "logout" } + all.filter { $0.path.string == "logout" }
            var walked = 0
            for route in routes {
                let key = "\(route.method.rawValue) /\(route.path.string)"
                if Self.publicRoutes.contains(key) { continue }
                let path = try Self.path(of: route, ids: ids)
                let hasObject = route.path.contains { if case .parameter = $0 { true } else { false } }
                let body = Self.hostileBody(towards: alpha)
                let response: TestingHTTPResponse
                if path.hasPrefix("/api/") {
                    let json = route.method == .GET || route.method == .DELETE ? nil : body as [String: Any]
                    response = try await t.api(route.method, path, token: bravo.adminToken, json: json)
                } else {
                    response = try await t.browse(route.method, path, session: session, form: body)
                }
                walked += 1
                if hasObject {
                    #expect(
                        [.notFound, .forbidden].contains(response.status),
                        "\(key) answered \(response.status.code) for another organization's object")
                }
                for secret in secrets {
                    #expect(!response.text.contains(secret), "\(key) leaked « \(secret) »")
                }
            }
            #expect(walked >= 50)

            // Nothing of Alpha changed, and nothing of Bravo now points at Alpha.
            #expect(try await Crm.query(on: t.db).filter(\.$organizationId == alpha.id).count() == 2)
            #expect(try await Account.query(on: t.db).filter(\.$organizationId == alpha.id).count() == 3)
            #expect(try await User.query(on: t.db).filter(\.$organizationId == alpha.id).count() == 3)
            let alphaCrm = try #require(try await Crm.find(alpha.crm.id, on: t.db))
            #expect(alphaCrm.name == alpha.crm.name)
            #expect(try await ApiToken.find(alpha.token.id, on: t.db)?.revokedAt == nil)
            let bravoAccounts = try await Account.query(on: t.db).filter(\.$organizationId == bravo.id).all()
            #expect(bravoAccounts.allSatisfy { $0.crmId != alpha.crm.id && $0.parentId != alpha.account.id })
            let bravoUsers = try await User.query(on: t.db).filter(\.$organizationId == bravo.id).all()
            #expect(
                bravoUsers.allSatisfy {
                    !$0.crmIds.contains(alpha.crm.id!) && !$0.accountIds.contains(alpha.account.id!)
                })
            #expect(try await UserSession.query(on: t.db).all().allSatisfy { $0.crmFilter != alpha.crm.id })
            let alphaForm = try #require(try await Form.find(alpha.form.id, on: t.db))
            #expect(alphaForm.status == .active && alphaForm.formKey == alpha.form.formKey)
            #expect(try await OrganizationApiKey.find(alpha.apiKey.id, on: t.db)?.revokedAt == nil)
            #expect(try await PageComment.find(alpha.comment.id, on: t.db) != nil)
            let bravoForms = try await Form.query(on: t.db).filter(\.$organizationId == bravo.id).all()
            #expect(bravoForms.allSatisfy { $0.accountId != alpha.account.id })
            let bravoPages = try await LandingPage.query(on: t.db).filter(\.$organizationId == bravo.id).all()
            #expect(bravoPages.allSatisfy { $0.formId != alpha.form.id && $0.accountId != alpha.account.id })
            #expect(try await LandingPage.find(alpha.landingPage.id, on: t.db)?.formId == alpha.form.id)
        }
    }

    @Test func everyPageAndAPIReadRendersForItsOwnAdmin() async throws {
        try await TestApp.run(configure: { $0.operatorEmails = ["admin@alpha.test"] }) { t in
            let alpha = try await t.makeTenant("Alpha")
            let session = try await t.login(email: alpha.admin.email)
            let usesPostgres = t.app.config.usesPostgres
            let backup =
                usesPostgres
                ? "leadhub-20260101-000000.sqlite" : try await BackupService.create(app: t.app, now: t.clock.now())
            let ids = Self.objectIds(of: alpha, backup: backup)
            var rendered = 0
            for route in t.app.routes.all where route.method == .GET {
                let key = "GET /\(route.path.string)"
                if Self.publicRoutes.contains(key) { continue }
                // PostgreSQL backups are made with pg_dump: there is no file to download.
                if usesPostgres && key.hasSuffix(":backup_name") { continue }
                let path = try Self.path(of: route, ids: ids)
                let response =
                    path.hasPrefix("/api/")
                    ? try await t.api(.GET, path, token: alpha.adminToken)
                    : try await t.browse(.GET, path, session: session)
                #expect(response.status == .ok, "\(key) answered \(response.status.code): \(response.text.prefix(300))")
                if response.headers.contentType?.subType == "html" {
                    #expect(response.text.contains("<html lang=\"fr\">"), "\(key) is not a French page")
                }
                rendered += 1
            }
            #expect(rendered >= 25)
        }
    }
}
