import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// The developer brief of a landing page, a form or a pair, generated from the current
/// configuration, and the live "Vérifier l'intégration" check of what actually arrives.
enum BriefService {
    /// What the brief is about, resolved in the caller's organization (404 otherwise).
    struct Target {
        var landingPage: LandingPage?
        var form: Form?
        var mode: BriefInput.Mode

        var fileName: String {
            "brief-" + [landingPage?.code, form?.code].compactMap { $0 }.joined(separator: "-")
        }
    }

    enum Format: String {
        case markdown, html, json
    }

    /// `?mode=` as given (nil when absent); anything else is a field error, not a silent default.
    static func mode(_ raw: String?) throws -> BriefInput.Mode? {
        guard let raw, !raw.isEmpty else { return nil }
        guard let mode = BriefInput.Mode(rawValue: raw) else {
            throw FieldErrors([
                "mode": ["Mode inconnu : « separate » (pages séparées) ou « integrated » (formulaire intégré)."]
            ])
        }
        return mode
    }

    static func format(_ raw: String?) throws -> Format {
        guard let raw, !raw.isEmpty else { return .markdown }
        guard let format = Format(rawValue: raw == "md" ? "markdown" : raw) else {
            throw FieldErrors(["format": ["Format inconnu : « markdown », « html » ou « json »."]])
        }
        return format
    }

    /// From a form: paired with `lp_id` when given. From a landing page: paired with `form_id`
    /// when given, else with the form it is linked to (`form_id=none`: the LP alone).
    /// `lenient` (the page): an integrated mode left checked after the pair was removed falls back
    /// to separate instead of answering an error.
    static func target(
        formId: UUID?, landingPageId: UUID?, from origin: String, req: Request, lenient: Bool = false
    ) async throws -> Target {
        let scope = try req.tenantScope()
        let asked = try Self.mode(req.query[String.self, at: "mode"])
        func lookup<M: TenantOwned>(_ type: M.Type, _ raw: String?, field: String) async throws -> M? {
            guard let raw, !raw.isEmpty, raw != "none" else { return nil }
            guard let id = UUID(uuidString: raw) else { throw FieldErrors([field: ["Identifiant invalide."]]) }
            do {
                return try await scope.find(M.self, id, on: req.db)
            } catch let error as any AbortError where error.status == .notFound {
                throw FieldErrors([
                    field: [M.self == Form.self ? "Formulaire introuvable." : "Landing page introuvable."]
                ])
            }
        }
        var target: Target
        if origin == "form" {
            let form = try await scope.find(Form.self, formId, on: req.db)
            let page = try await lookup(LandingPage.self, req.query[String.self, at: "lp_id"], field: "lp_id")
            target = Target(landingPage: page, form: form, mode: asked ?? .separate)
        } else {
            let page = try await scope.find(LandingPage.self, landingPageId, on: req.db)
            let raw = req.query[String.self, at: "form_id"]
            var form = try await lookup(Form.self, raw, field: "form_id")
            if raw == nil || raw?.isEmpty == true, let linked = page.formId {
                form = try? await scope.find(Form.self, linked, on: req.db)
            }
            target = Target(landingPage: page, form: form, mode: asked ?? .separate)
        }
        // Without a mode, the landing page's own kind says it: a page with its form inside.
        if asked == nil, target.form != nil, target.landingPage?.kind == .integrated { target.mode = .integrated }
        if target.mode == .integrated && (target.landingPage == nil || target.form == nil) {
            if lenient { target.mode = .separate; return target }
            throw FieldErrors(["mode": [Brief.Problem.integratedNeedsPair.message]])
        }
        return target
    }

    static func input(_ target: Target, req: Request) async throws -> BriefInput {
        let scope = try req.tenantScope()
        let organization = try await Organization.find(scope.organizationId, on: req.db)
        // Everything read once: the accounts of the LP and form, the LP's linked form as the caller
        // may see it (a user limited to some accounts may not), the product of the pages.
        let accountIds = [target.landingPage?.accountId, target.form?.accountId].compactMap { $0 }
        let accounts = Dictionary(
            try await Account.query(on: req.db).filter(\.$organizationId == scope.organizationId)
                .filter(\.$id ~~ accountIds).all().map { ($0.id!, $0) }, uniquingKeysWith: { a, _ in a })
        let linked =
            await target.landingPage?.formId.asyncMap { try? await scope.find(Form.self, $0, on: req.db) } ?? nil
        let product =
            try await (target.form ?? linked).asyncMap {
                try await scope.query(ProductType.self, on: req.db).filter(\.$code == $0.productType).first()
            } ?? nil
        func codes(_ accountId: UUID) -> BriefInput.AccountCodes? {
            accounts[accountId].map {
                BriefInput.AccountCodes(
                    accountName: $0.name, head: $0.gtmHead, cta: $0.gtmCta, conversion: $0.gtmConversion)
            }
        }
        var lpInfo: BriefInput.LandingPageInfo? = nil
        var formInfo: BriefInput.FormInfo? = nil
        if let page = target.landingPage {
            let source =
                try await page.diffusionSourceId.asyncMap { try await DiffusionSource.find($0, on: req.db) } ?? nil
            lpInfo = BriefInput.LandingPageInfo(
                code: page.code, name: page.name, url: page.url, sourceName: source?.name,
                archived: page.status == .archived,
                linkedFormCode: linked?.code, linkedFormURL: linked?.url)
        }
        if let form = target.form {
            formInfo = BriefInput.FormInfo(
                code: form.code, name: form.name, url: form.url, formKey: form.formKey, productCode: form.productType,
                productLabel: product?.label ?? form.productType,
                requiredFields: (product?.requiredFields ?? ["phone"]).compactMap(LeadField.init(rawValue:)),
                thankYouURL: thankYouURL(form, account: accounts[form.accountId]),
                metropolitanOnly: form.metropolitanOnly,
                allowedOrigins: form.allowedOrigins, archived: form.status == .archived,
                hostedURL: form.isHosted && form.publishedVersion != nil
                    ? HostedFormService.publicURL(
                        base: APIDocsController.serverURL(req), slug: organization?.slug ?? "", code: form.code) : nil)
        }
        let pageAccount = (target.landingPage?.accountId ?? target.form?.accountId).flatMap { accounts[$0] }
        var input = BriefInput(
            hubURL: APIDocsController.serverURL(req), trackingId: organization?.slug ?? "",
            scriptVersion: req.application.trackerScript.version, landingPage: lpInfo, form: formInfo,
            mode: target.mode,
            landingPageAccount: target.landingPage.flatMap { codes($0.accountId) },
            formAccount: target.form.flatMap { codes($0.accountId) },
            identity: try await pageAccount.asyncMap { try await identity($0, product: product, req: req) },
            generatedAt: req.now)
        input.campaigns = try await CampaignService.links(
            landingPageId: target.landingPage?.id, formId: target.form?.id, scope: scope, on: req.db)
        return input
    }

    /// The branding, media and legal texts of the account the pages belong to (the LP's, else the
    /// form's), and the aids of the product.
    static func identity(_ account: Account, product: ProductType?, req: Request) async throws -> BriefInput.Identity {
        func present(_ text: String?) -> String? {
            guard let text = text?.trimmedText, !text.isEmpty else { return nil }
            return text
        }
        let logos: [BriefInput.NamedLink] = [
            ("Logo principal", account.logoMainURL), ("Logo secondaire", account.logoSecondaryURL),
            ("Petit logo", account.logoSmallURL), ("Favicon", account.faviconURL),
        ].compactMap { name, url in present(url).map { BriefInput.NamedLink(name, $0) } }
        let media = try await req.tenantScope().query(Asset.self, on: req.db).filter(\.$accountId == account.id)
            .sort(\.$createdAt, .descending).limit(50).all()
        let images =
            account.images.map { BriefInput.NamedLink($0.name, $0.url) }
            + media.map {
                BriefInput.NamedLink(
                    "\($0.label) (\($0.kind.label.lowercased()), médiathèque)", req.publicBaseURL + $0.path)
            }
        return BriefInput.Identity(
            accountName: account.name, domain: present(account.domain), logos: logos,
            primaryColor: present(account.primaryColor), secondaryColor: present(account.secondaryColor),
            images: images,
            privacyPolicy: present(account.privacyPolicy), legalMentions: present(account.legalMentions),
            cgu: present(account.cgu), productLabel: product.map { "\($0.code) — \($0.label)" },
            aidAmountText: present(product?.aidAmountText), aids: product?.aids ?? [])
    }

    /// The form's own thank-you page, else the account's named redirect it points to, else the
    /// account's default redirect.
    static func thankYouURL(_ form: Form, account: Account?) -> String? {
        if let url = form.thankYouURL, !url.isEmpty { return url }
        guard let account else { return nil }
        if let name = form.thankYouRedirect, let named = account.redirectURLs.first(where: { $0.name == name }) {
            return named.url
        }
        return account.defaultRedirectURL.flatMap { $0.isEmpty ? nil : $0 }
    }

    static func document(_ target: Target, req: Request) async throws -> BriefDocument {
        do {
            return try Brief.build(try await input(target, req: req))
        } catch let problem as Brief.Problem {
            throw FieldErrors(["mode": [problem.message]])
        }
    }

    /// The brief as a downloadable file (or JSON: the Markdown and the HTML in one object).
    static func file(_ document: BriefDocument, format: Format, name: String, req: Request) async throws -> Response {
        switch format {
        case .json:
            return try await FileBody(
                title: document.title, markdown: BriefMarkdown.render(document), html: BriefHTML.standalone(document)
            ).encodeResponse(for: req)
        case .markdown, .html:
            let response = Response(status: .ok)
            let markdown = format == .markdown
            response.headers.replaceOrAdd(
                name: .contentType, value: markdown ? "text/markdown; charset=utf-8" : "text/html; charset=utf-8")
            response.headers.replaceOrAdd(
                name: .contentDisposition, value: "attachment; filename=\"\(name).\(markdown ? "md" : "html")\"")
            response.body = .init(string: markdown ? BriefMarkdown.render(document) : BriefHTML.standalone(document))
            return response
        }
    }

    struct FileBody: Content {
        let title: String
        let markdown: String
        let html: String
    }

    // MARK: - Vérifier l'intégration

    struct Check: Content {
        struct Event: Content {
            let type: String
            let lpCode: String?
            let formCode: String?
            let sessionId: String?
            let url: String?
            let utmSource: String?
            /// A `form_step`'s position and screen id (hosted forms name their screens).
            var step: Int? = nil
            var stepId: String? = nil
            let createdAt: Date

            enum CodingKeys: String, CodingKey {
                case type, url, step
                case lpCode = "lp_code", formCode = "form_code", sessionId = "session_id", utmSource = "utm_source"
                case stepId = "step_id"
                case createdAt = "created_at"
            }
        }

        struct LeadItem: Content {
            let id: UUID
            let phone: String
            let status: String
            let lpCode: String?
            let sessionId: String?
            let utmSource: String?
            let createdAt: Date

            enum CodingKeys: String, CodingKey {
                case id, phone, status
                case lpCode = "lp_code", sessionId = "session_id", utmSource = "utm_source", createdAt = "created_at"
            }
        }

        struct Counts: Content {
            let visits: Int
            let ctaClicks: Int
            let formStarts: Int
            let leads: Int

            enum CodingKeys: String, CodingKey {
                case visits, leads
                case ctaClicks = "cta_clicks", formStarts = "form_starts"
            }
        }

        let checkedAt: Date
        let days: Int
        let counts: Counts
        let ok: Bool
        let missing: [String]
        let events: [Event]
        let leads: [LeadItem]

        enum CodingKeys: String, CodingKey {
            case days, counts, ok, missing, events, leads
            case checkedAt = "checked_at"
        }
    }

    static let checkDays = 7

    static func check(_ target: Target, req: Request) async throws -> Check {
        let scope = try req.tenantScope()
        let sql = req.db as! any SQLDatabase
        let range = DateInterval(
            start: req.now.addingTimeInterval(-Double(checkDays) * 86_400), end: req.now.addingTimeInterval(3_600))
        let lpId = try target.landingPage?.requireID()
        let formId = try target.form?.requireID()
        let lpFunnel = try await lpId.asyncMap {
            try await StatsService.funnel(scope, .init(lpId: $0), range: range, on: req.db)
        }
        let formFunnel = try await formId.asyncMap {
            try await StatsService.funnel(scope, .init(formId: $0), range: range, on: req.db)
        }

        // The last events of the LP and of the form: one indexed query each.
        var codes: [UUID: String] = [:]
        if let page = target.landingPage, let id = lpId { codes[id] = page.code }
        if let form = target.form, let id = formId { codes[id] = form.code }
        // An event of the pair's LP carrying the form's code comes back from both queries.
        var byId: [UUID: Check.Event] = [:]
        for (column, id) in [("lp_id", lpId), ("form_id", formId)] {
            guard let id else { continue }
            let rows = try await sql.select()
                .columns(
                    "id", "type", "lp_id", "form_id", "session_id", "url", "utm_source", "step", "step_id", "created_at"
                )
                .from("tracking_events")
                .where(SQLIdentifier(column), .equal, SQLBind(id))
                .where("organization_id", .equal, SQLBind(scope.organizationId))
                .orderBy("created_at", .descending).limit(20).all()
            for row in rows {
                let lp = try row.decode(column: "lp_id", as: UUID?.self)
                let form = try row.decode(column: "form_id", as: UUID?.self)
                byId[try row.decode(column: "id", as: UUID.self)] = Check.Event(
                    type: try row.decode(column: "type", as: String.self),
                    lpCode: lp.map { codes[$0] ?? "autre" }, formCode: form.map { codes[$0] ?? "autre" },
                    sessionId: try row.decode(column: "session_id", as: String?.self),
                    url: try row.decode(column: "url", as: String?.self),
                    utmSource: try row.decode(column: "utm_source", as: String?.self),
                    step: try row.decode(column: "step", as: Int?.self),
                    stepId: try row.decode(column: "step_id", as: String?.self),
                    createdAt: try row.decode(column: "created_at", as: Date.self))
            }
        }
        let events = Array(byId.values.sorted { $0.createdAt > $1.createdAt }.prefix(20))

        var leads: [Lead] = []
        if let formId {
            leads += try await scope.query(Lead.self, on: req.db).filter(\.$formId == formId).sort(
                \.$createdAt, .descending
            ).limit(10).all()
        }
        if let lpId {
            leads += try await scope.query(Lead.self, on: req.db).filter(\.$landingPageId == lpId).sort(
                \.$createdAt, .descending
            ).limit(10).all()
        }
        var seenLeads = Set<UUID>()
        leads = Array(
            leads.sorted { $0.createdAt > $1.createdAt }.filter { seenLeads.insert($0.id!).inserted }.prefix(10))

        let counts = Check.Counts(
            visits: (lpFunnel ?? formFunnel)?.visits ?? 0, ctaClicks: (lpFunnel ?? formFunnel)?.ctaClicks ?? 0,
            formStarts: (formFunnel ?? lpFunnel)?.formStarts ?? 0, leads: (formFunnel ?? lpFunnel)?.leads ?? 0)
        let linkedPages =
            try await formId.asyncMap {
                try await scope.query(LandingPage.self, on: req.db).filter(\.$formId == $0).count()
            } ?? 0
        let missing = IntegrationCheck.missing(
            lpCode: target.landingPage?.code, formCode: target.form?.code, integrated: target.mode == .integrated,
            counts: .init(
                visits: counts.visits, ctaClicks: counts.ctaClicks, formStarts: counts.formStarts, leads: counts.leads),
            recentLeads: leads.map { .init(hasLandingPage: $0.landingPageId != nil, hasSession: $0.sessionId != nil) },
            expectsLandingPage: target.landingPage != nil || linkedPages > 0, days: checkDays)
        return Check(
            checkedAt: req.now, days: checkDays, counts: counts, ok: missing.isEmpty, missing: missing, events: events,
            leads: leads.map {
                Check.LeadItem(
                    id: $0.id!, phone: FrenchPhone.masked($0.phone),
                    status: LeadStatus(rawValue: $0.status)?.label ?? $0.status,
                    lpCode: $0.lpCode, sessionId: $0.sessionId, utmSource: $0.utmSource, createdAt: $0.createdAt)
            })
    }
}
