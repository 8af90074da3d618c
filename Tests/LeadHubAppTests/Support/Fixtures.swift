import Fluent
import SQLKit
import Foundation
import LeadHubCore
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

let testPassword = "motdepasse-solide-42"

/// A valid 1×1 PNG.
let tinyPNG: [UInt8] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01,
    0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44,
    0x41,
    0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00,
    0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
]

/// One organization with one of each object, users of each role and their bearer tokens.
struct Tenant {
    let organization: Organization
    let admin: User
    let adminToken: String
    let editorToken: String
    let viewerToken: String
    let crm: Crm
    let otherCrm: Crm
    let account: Account
    let subAccount: Account
    let otherAccount: Account
    let source: DiffusionSource
    let productType: ProductType
    let activity: ActivityEntry
    let token: ApiToken
    let form: Form
    let landingPage: LandingPage
    let comment: PageComment
    let apiKey: OrganizationApiKey
    /// The organization API key in clear, for `POST /api/v1/leads`.
    let apiKeyRaw: String
    let lead: Lead
    let delivery: Delivery
    let invoice: BillingInvoice
    let alert: Alert
    let asset: Asset
    /// A return of `lead` by CRM Un, waiting for a decision.
    let leadReturn: LeadReturn
    /// A draft A/B campaign on the account of CRM Un (both variants on `landingPage`).
    let campaign: Campaign

    var id: UUID { organization.id! }
}

extension TestApp {
    /// Creates an organization named `name` with every kind of object, its own names prefixed by `name`.
    func makeTenant(_ name: String) async throws -> Tenant {
        let org = try await OrganizationService.create(name: name, on: db)
        // The consent gate (on by default) is switched off here: most tests are about other rules
        // and send leads without an opt-in; `LeadQualityTests` tests the gate with its default.
        org.requirePhoneConsent = false
        try await org.save(on: db)
        let orgId = try org.requireID()
        let (admin, adminToken) = try await makeUser(in: orgId, role: .admin, email: "admin@\(slug(name)).test")
        let (_, editorToken) = try await makeUser(in: orgId, role: .editor, email: "editor@\(slug(name)).test")
        let (_, viewerToken) = try await makeUser(in: orgId, role: .viewer, email: "viewer@\(slug(name)).test")
        let crm = try await makeCrm(in: orgId, name: "\(name) CRM Un")
        let otherCrm = try await makeCrm(in: orgId, name: "\(name) CRM Deux")
        let account = try await makeAccount(in: orgId, crm: crm, name: "\(name) Compte Un")
        let subAccount = try await makeAccount(in: orgId, crm: crm, name: "\(name) Sous-compte", parent: account)
        let otherAccount = try await makeAccount(in: orgId, crm: otherCrm, name: "\(name) Compte Deux")
        let source = DiffusionSource()
        source.organizationId = orgId
        source.name = "\(name) Source"
        source.category = .native
        source.active = true
        try await source.create(on: db)
        let product = try #require(
            try await ProductType.query(on: db).filter(\.$organizationId == orgId).filter(\.$code == "PV").first())
        let activity = ActivityEntry()
        activity.organizationId = orgId
        activity.userId = admin.id
        activity.userEmail = admin.email
        activity.action = "update"
        activity.summary = "\(name) entrée du journal"
        activity.createdAt = clock.now()
        try await activity.create(on: db)
        let token = try #require(try await ApiToken.query(on: db).filter(\.$userId == admin.requireID()).first())
        let form = try await makeForm(in: orgId, account: account, name: "\(name) Formulaire", product: "PV")
        let page = LandingPage()
        page.organizationId = orgId
        page.accountId = try account.requireID()
        page.code = "LP-001"
        page.name = "\(name) Landing"
        page.url = "https://\(slug(name)).example/lp"
        page.diffusionSourceId = source.id
        page.kind = .redirect
        page.formId = form.id
        page.status = .active
        try await page.create(on: db)
        let comment = PageComment()
        comment.organizationId = orgId
        comment.targetType = "form"
        comment.targetId = try form.requireID()
        comment.userId = admin.id
        comment.userName = admin.name
        comment.body = "\(name) commentaire"
        comment.createdAt = clock.now()
        try await comment.create(on: db)
        let apiKeyRaw = Secrets.token(prefix: ApiKeyService.keyPrefix, bytes: 32)
        let apiKey = OrganizationApiKey()
        apiKey.organizationId = orgId
        apiKey.name = "\(name) clé"
        apiKey.keyHash = Secrets.sha256Hex(apiKeyRaw)
        apiKey.prefix = String(apiKeyRaw.prefix(12))
        apiKey.createdAt = clock.now()
        try await apiKey.create(on: db)
        let lead = try await makeLead(
            form: form, account: account,
            fields: [
                "phone": .string("06 98 71 54 32"), "nom": .string("\(name) Prospect"),
                "email": .string("prospect@\(slug(name)).test"),
            ])
        let delivery = try #require(try await Delivery.query(on: db).filter(\.$leadId == lead.requireID()).first())
        let invoice = BillingInvoice()
        invoice.organizationId = orgId
        invoice.fromCrmId = try crm.requireID()
        invoice.toCrmId = try otherCrm.requireID()
        invoice.periodFrom = "2026-08-01"
        invoice.periodTo = "2026-08-31"
        invoice.leadCount = 0
        invoice.amountCents = 0
        invoice.userEmail = admin.email
        invoice.createdAt = clock.now()
        try await invoice.create(on: db)
        let alert = Alert()
        alert.organizationId = orgId
        alert.key = "queue_backlog"
        alert.level = "warning"
        alert.category = "queue"
        alert.message = "\(name) : file d'attente chargée"
        alert.details = "test"
        alert.firstSeenAt = clock.now()
        alert.lastSeenAt = clock.now()
        alert.count = 1
        try await alert.create(on: db)
        let scope = try await TenantScope.make(user: admin, on: db, ip: nil)
        let asset = try await AssetService.upload(
            AssetUpload(
                file: File(data: ByteBuffer(bytes: tinyPNG), filename: "logo.png"), label: "\(name) Logo", kind: "logo",
                accountId: account.id!.uuidString),
            scope: scope, now: clock.now(), app: app, on: db)
        let leadReturn = LeadReturn()
        leadReturn.organizationId = orgId
        leadReturn.leadId = try lead.requireID()
        leadReturn.crmId = try crm.requireID()
        leadReturn.reasonRaw = ReturnReason.wrongPerson.rawValue
        leadReturn.note = "\(name) retour"
        leadReturn.channel = "admin"
        leadReturn.statusRaw = ReturnStatus.pending.rawValue
        leadReturn.overCap = false
        leadReturn.createdAt = clock.now()
        try await leadReturn.create(on: db)
        try await (db as! any SQLDatabase).update("leads").set("return_status", to: "pending")
            .where("id", .equal, lead.requireID()).run()
        lead.returnStatus = "pending"
        let campaign = Campaign()
        campaign.organizationId = orgId
        campaign.accountId = try account.requireID()
        campaign.code = "AB-001"
        campaign.name = "\(name) Campagne"
        campaign.modeRaw = CampaignMode.landingPages.rawValue
        campaign.formId = form.id
        campaign.status = .draft
        campaign.minDays = 7
        campaign.maxDays = 28
        campaign.seed = "seed-\(slug(name))"
        campaign.phase = 0
        try await campaign.create(on: db)
        for position in 0..<2 {
            let variant = CampaignVariant()
            variant.organizationId = orgId
            variant.campaignId = try campaign.requireID()
            variant.position = position
            variant.landingPageId = page.id
            variant.weight = 50
            try await variant.create(on: db)
        }
        return Tenant(
            organization: org, admin: admin, adminToken: adminToken, editorToken: editorToken, viewerToken: viewerToken,
            crm: crm, otherCrm: otherCrm, account: account, subAccount: subAccount, otherAccount: otherAccount,
            source: source, productType: product, activity: activity, token: token, form: form, landingPage: page,
            comment: comment, apiKey: apiKey, apiKeyRaw: apiKeyRaw, lead: lead, delivery: delivery, invoice: invoice,
            alert: alert,
            asset: asset, leadReturn: leadReturn, campaign: campaign)
    }

    func slug(_ text: String) -> String { Slug.make(text) }

    /// A user with the test password and a bearer token.
    func makeUser(
        in orgId: UUID, role: Role, email: String, crmIds: [UUID] = [], accountIds: [UUID] = []
    ) async throws -> (User, String) {
        let hash = try app.password.hash(testPassword)
        let user = User(
            organizationId: orgId, email: email, name: "Test \(role.rawValue)", passwordHash: hash, role: role)
        user.crmIds = crmIds
        user.accountIds = accountIds
        try await user.create(on: db)
        let (raw, _) = try await AuthService.issueToken(
            for: user, name: "test", lifetime: nil, now: clock.now(), on: db)
        return (user, raw)
    }

    func makeCrm(in orgId: UUID, name: String) async throws -> Crm {
        let crm = Crm()
        crm.organizationId = orgId
        crm.name = name
        crm.slug = Slug.make(name)
        crm.apiURL = "https://\(Slug.make(name)).example/lead/api/create_lead/"
        try await crm.create(on: db)
        return crm
    }

    func makeForm(in orgId: UUID, account: Account, name: String, product: String, code: String? = nil) async throws
        -> Form
    {
        let form = Form()
        form.organizationId = orgId
        form.accountId = try account.requireID()
        form.code = code ?? "\(product)-001"
        form.name = name
        form.url = "https://\(slug(name)).example/form"
        form.productType = product
        form.trackingType = .gtm
        form.excludeFromRouting = false
        form.metropolitanOnly = false
        form.allowedOrigins = []
        form.status = .active
        form.formKey = FormService.newFormKey()
        try await form.create(on: db)
        return form
    }

    /// A lead stored the way intake stores it, at the clock's time.
    func makeLead(form: Form, account: Account, fields: [String: JSONValue], at date: Date? = nil) async throws -> Lead
    {
        let valid = try LeadSubmission.validate(fields).get()
        var draft = LeadDraft(
            id: UUID(), organizationId: form.organizationId, formId: try form.requireID(), accountId: form.accountId,
            crmId: account.crmId, landingPageId: nil, diffusionSourceId: nil, productType: form.productType,
            formCode: form.code, lead: valid, ip: "192.0.2.1", userAgent: "test", apiKeyId: nil,
            submissionHash: UUID().uuidString, idempotencyKey: nil, receivedAt: date ?? clock.now(),
            duplicateWindowHours: nil,
            excludeFromRouting: form.excludeFromRouting,
            routing: try await app.intakeCache.routingConfig(
                organizationId: form.organizationId, now: clock.now(), on: db))
        draft.policy = try #require(try await Organization.find(form.organizationId, on: db)).intakePolicy
        _ = try await LeadWriter.store([draft], on: db as! any SQLDatabase)
        return try #require(try await Lead.find(draft.id, on: db))
    }

    func makeAccount(in orgId: UUID, crm: Crm, name: String, parent: Account? = nil) async throws -> Account {
        let account = Account()
        account.organizationId = orgId
        account.crmId = try crm.requireID()
        account.parentId = parent?.id
        account.name = name
        account.productTypes = ["PV"]
        account.images = []
        account.redirectURLs = []
        try await account.create(on: db)
        return account
    }
}

// MARK: HTTP helpers

extension TestApp {
    /// A JSON API call, with an optional bearer token.
    func api(
        _ method: HTTPMethod, _ path: String, token: String? = nil, json: [String: Any]? = nil,
        headers extra: HTTPHeaders = [:]
    ) async throws -> TestingHTTPResponse {
        var headers = extra
        if let token { headers.bearerAuthorization = BearerAuthorization(token: token) }
        var body = ByteBuffer()
        if let json {
            headers.contentType = .json
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
        }
        return try await app.testing().performTest(
            request: TestingHTTPRequest(method: method, url: URI(path: path), headers: headers, body: body))
    }

    /// Logs in through the real login page; returns the browser's cookie and CSRF token.
    func login(email: String, password: String = testPassword, ip: String? = nil) async throws -> BrowserSession {
        let response = try await loginAttempt(email: email, password: password, ip: ip)
        #expect(response.status == .seeOther)
        let cookie = try #require(response.cookie(AuthService.sessionCookie))
        let session = BrowserSession(cookie: cookie, csrf: "")
        let page = try await browse(.GET, "/settings", session: session)
        session.csrf = try #require(page.hiddenCSRF)
        return session
    }

    /// Posts the login form as a browser would (after loading it for its CSRF cookie).
    func loginAttempt(email: String, password: String, ip: String? = nil) async throws -> TestingHTTPResponse {
        var headers: HTTPHeaders = [:]
        if let ip { headers.add(name: "X-Forwarded-For", value: ip) }
        let form = try await app.testing().performTest(
            request: TestingHTTPRequest(method: .GET, url: "/login", headers: headers, body: ByteBuffer()))
        let csrfCookie = try #require(form.cookie(AuthService.loginCSRFCookie))
        let csrf = try #require(form.hiddenCSRF)
        headers.add(name: .cookie, value: "\(AuthService.loginCSRFCookie)=\(csrfCookie)")
        return try await post(
            "/login", form: ["email": email, "password": password, "_csrf": csrf, "next": "/"], headers: headers)
    }

    /// A page request with the session cookie; form posts carry the CSRF token unless told not to.
    func browse(
        _ method: HTTPMethod, _ path: String, session: BrowserSession?, form: [String: String] = [:],
        sendCSRF: Bool = true
    ) async throws -> TestingHTTPResponse {
        var headers: HTTPHeaders = [:]
        if let session { headers.add(name: .cookie, value: session.cookieHeader) }
        let response: TestingHTTPResponse
        if method == .GET {
            response = try await app.testing().performTest(
                request: TestingHTTPRequest(method: .GET, url: URI(path: path), headers: headers, body: ByteBuffer()))
        } else {
            var fields = form
            if sendCSRF, let session { fields["_csrf"] = session.csrf }
            response = try await post(path, form: fields, headers: headers)
        }
        session?.remember(response)
        return response
    }

    func post(_ path: String, form: [String: String], headers extra: HTTPHeaders = [:]) async throws
        -> TestingHTTPResponse
    {
        var headers = extra
        headers.contentType = .urlEncodedForm
        let body = form.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)="
                + value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        }.joined(separator: "&")
        return try await app.testing().performTest(
            request: TestingHTTPRequest(
                method: .POST, url: URI(path: path), headers: headers, body: ByteBuffer(string: body)))
    }
}

/// A browser's state: the session cookie, the page's CSRF token, and other cookies it was given
/// (flash messages), sent back like a browser would.
final class BrowserSession: @unchecked Sendable {
    var cookie: String
    var csrf: String
    var others: [String: String] = [:]

    init(cookie: String, csrf: String) {
        self.cookie = cookie
        self.csrf = csrf
    }

    func copy() -> BrowserSession { BrowserSession(cookie: cookie, csrf: csrf) }

    var cookieHeader: String {
        ([(AuthService.sessionCookie, cookie)] + others.sorted { $0.key < $1.key }).map { "\($0)=\($1)" }
            .joined(separator: "; ")
    }

    func remember(_ response: TestingHTTPResponse) {
        for header in response.headers[.setCookie] {
            guard let pair = header.split(separator: ";").first, let eq = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<eq])
            let value = String(pair[pair.index(after: eq)...])
            guard name != AuthService.sessionCookie else { continue }
            if value.isEmpty || header.contains("Expires=Thu, 01 Jan 1970") {
                others[name] = nil
            } else {
                others[name] = value
            }
        }
    }
}

extension TestingHTTPResponse {
    var text: String { String(buffer: body) }

    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
    }

    func items() throws -> [[String: Any]] {
        try #require(try json()["items"] as? [[String: Any]])
    }

    func fieldErrors() throws -> [String: [String]] {
        try #require(try json()["errors"] as? [String: [String]])
    }

    /// The value of a cookie set by this response.
    func cookie(_ name: String) -> String? {
        setCookieHeader(name).flatMap { header in
            header.split(separator: ";").first.map { String($0.dropFirst(name.count + 1)) }
        }
    }

    func setCookieHeader(_ name: String) -> String? {
        headers[.setCookie].first { $0.hasPrefix(name + "=") }
    }

    /// The `_csrf` hidden field of the page.
    var hiddenCSRF: String? {
        guard let range = text.range(of: "name=\"_csrf\" value=\"") else { return nil }
        let rest = text[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
