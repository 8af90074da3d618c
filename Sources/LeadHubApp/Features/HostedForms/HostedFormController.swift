import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// The public side of hosted forms: `GET /f/{form_code}?org=…` shows a screen, `POST` answers it
/// (then redirects to the next one: one request per screen without JavaScript), the commune
/// list of a postal code, and the popup script of the brief. Partial answers are saved at each
/// screen (`form_sessions`); the completed form goes through the lead pipeline of the API.
struct HostedFormController {
    static let maxBody = 64 * 1024

    // MARK: - Show

    @Sendable func show(req: Request) async throws -> Response {
        let runtime = try await Self.runtime(req)
        let query = Self.queryItems(req)
        var session: FormSession? = nil
        if let token = query["s"]?.first, !token.isEmpty {
            session = try await Self.session(token: token, runtime: runtime, on: req.db)
        }
        guard let session else {
            // A first visit: nothing is stored until the first answer (robots and reloads cost
            // nothing), except the visit when the form is not behind a landing page.
            let carried = Self.carried(from: query, definition: runtime.definition)
            if query["lp"]?.first?.isEmpty != false, !Self.isPreviewOrBot(req) {
                Self.track(
                    .lpVisit, runtime: runtime, visitor: carried["lh_visitor"], session: carried["lh_session"],
                    attribution: carried, url: Self.pageURL(req), referrer: req.headers.first(name: .referer), req: req)
            }
            if let split = runtime.firstScreen { return Self.html(split.render(carried: carried), status: .ok) }
            guard let first = runtime.definition.firstStep else { throw Abort(.notFound) }
            let page = HostedFormPage(
                runtime: runtime, definition: runtime.definition, step: first, carried: carried,
                action: Self.action(runtime), communes: req.application.communes.names)
            return Self.html(page.render(), status: .ok)
        }
        let definition = try await Self.definition(for: session, runtime: runtime, on: req.db)
        let answers = session.answers
        let wanted = query["step"]?.first ?? session.currentStep
        var step = definition.step(session.currentStep) ?? definition.firstStep!
        var mode = HostedFormPage.Mode.step
        switch session.status {
        case .completed:
            step = definition.steps.first { $0.kind == .thankYou } ?? step
            mode = .completed
        case .disqualified:
            step = definition.step(session.currentStep) ?? step
            mode = .disqualified
        case .inProgress, .abandoned:
            // Only a screen already answered (or the current one) can be shown again.
            if let asked = definition.step(wanted), asked.kind.isQuestionFlow,
                answers.path.contains(wanted) || wanted == session.currentStep
            {
                step = asked
            }
        }
        let page = HostedFormPage(
            runtime: runtime, definition: definition, step: step, mode: mode, answers: answers, token: session.token,
            action: Self.action(runtime), communes: req.application.communes.names)
        return Self.html(page.render(), status: .ok)
    }

    // MARK: - Answer

    @Sendable func answer(req: Request) async throws -> Response {
        let runtime = try await Self.runtime(req)
        guard runtime.active else {
            return Self.html(Self.message("Ce formulaire n'est plus disponible.", runtime: runtime), status: .gone)
        }
        let posted = Self.parse(req.body.data.map { String(buffer: $0) } ?? "")
        let byScript = req.headers.first(name: "X-Requested-With") == "fetch"
        let now = req.now
        var session: FormSession
        var definition: FormDefinition
        var started = false
        if let token = posted["_s"]?.first, !token.isEmpty,
            let found = try await Self.session(token: token, runtime: runtime, on: req.db)
        {
            session = found
            definition = try await Self.definition(for: found, runtime: runtime, on: req.db)
        } else {
            definition = runtime.definition
            session = FormSession()
            session.organizationId = runtime.organizationId
            session.formId = runtime.formId
            session.version = runtime.version
            session.token = Secrets.token(prefix: "", bytes: 18)
            session.status = .inProgress
            session.answers = FormAnswers()
            session.currentStep = definition.firstStep?.id ?? ""
            session.furthestPosition = 1
            var carried: [String: String] = [:]
            for (key, values) in posted where key.hasPrefix("_c.") {
                if let value = values.first, !value.isEmpty {
                    carried[String(key.dropFirst(3))] = String(value.prefix(500))
                }
            }
            let valid = EventSubmission.isValidId
            session.visitorId = valid(carried["lh_visitor"]) ? carried["lh_visitor"] : nil
            session.sessionId = valid(carried["lh_session"]) ? carried["lh_session"] : nil
            session.lpCode = carried["lp"].map { String($0.prefix(40)).uppercased() }
            carried["lh_visitor"] = nil
            carried["lh_session"] = nil
            carried["lp"] = nil
            session.hidden = carried
            session.startedAt = now
            session.updatedAt = now
            started = true
        }
        let back = "/f/" + runtime.code + "?org=" + runtime.organizationSlug + "&s=" + session.token
        if session.status == .completed || session.status == .disqualified {
            return req.redirect(to: back, redirectType: .normal)
        }
        let stepId = posted["_step"]?.first ?? session.currentStep
        guard let step = definition.step(stepId), step.kind.isQuestionFlow,
            stepId == session.currentStep || session.answers.path.contains(stepId)
        else {
            if started { try await session.save(on: req.db) }
            return req.redirect(to: back + "&step=" + session.currentStep, redirectType: .normal)
        }
        if posted["_back"] != nil {
            let path = session.answers.path
            let before = path.firstIndex(of: stepId).map { path[..<$0] } ?? path[...]
            let previous = before.last ?? stepId
            if started { try await session.save(on: req.db) }
            return req.redirect(to: back + "&step=" + previous, redirectType: .normal)
        }
        let communes = req.application.communes.names
        switch FormFlow.answer(step, posted: posted, in: definition, answers: session.answers, communes: communes) {
        case .failure(let errors):
            if started { try await session.save(on: req.db) }
            let page = HostedFormPage(
                runtime: runtime, definition: definition, step: step, answers: session.answers, posted: posted,
                errors: errors, token: session.token, action: Self.action(runtime), communes: communes)
            // The script swaps the error screen in like any other (a 422 would show as a console
            // error on the visitor's browser); without it, the browser shows the 422 page itself.
            return Self.html(page.render(), status: byScript ? .ok : .unprocessableEntity)
        case .success(let (answers, advance)):
            session.answers = answers
            session.updatedAt = now
            if session.status == .abandoned { session.status = .inProgress }
            if started {
                Self.track(
                    .formStart, runtime: runtime, visitor: session.visitorId, session: session.sessionId,
                    attribution: session.hidden, url: nil, referrer: nil, req: req)
            }
            switch advance {
            case .next(let next):
                session.currentStep = next
                let position = definition.position(of: next) ?? session.furthestPosition
                session.furthestPosition = max(session.furthestPosition, position)
                try await session.save(on: req.db)
                Self.track(
                    .formStep, runtime: runtime, visitor: session.visitorId, session: session.sessionId,
                    attribution: session.hidden, url: nil, referrer: nil, step: position, stepId: next, req: req)
                return req.redirect(to: back + "&step=" + next, redirectType: .normal)
            case .disqualified(let ending):
                session.currentStep = ending
                session.status = .disqualified
                session.endedAt = now
                try await session.save(on: req.db)
                return req.redirect(to: back, redirectType: .normal)
            case .complete:
                return try await complete(
                    session: session, definition: definition, step: step, runtime: runtime, byScript: byScript,
                    honeypot: posted["_website"]?.first, back: back, req: req)
            }
        }
    }

    /// Sends the lead through the pipeline of the API, then shows the thank-you screen (or goes
    /// to the form's thank-you address). A refused lead shows its reasons on the last screen.
    private func complete(
        session: FormSession, definition: FormDefinition, step: FormStep, runtime: HostedFormRuntime, byScript: Bool,
        honeypot: String?, back: String, req: Request
    ) async throws -> Response {
        guard
            let form = try await req.application.intakeCache.form(
                id: runtime.formId, now: req.now, on: req.db)
        else { throw Abort(.notFound) }
        var hidden = session.hidden
        if let lp = session.lpCode { hidden["lp"] = lp }
        let pageURL = APIDocsController.serverURL(req) + Self.action(runtime)
        var body = HostedFormLead.body(
            definition, answers: session.answers,
            context: .init(formCode: runtime.code, hidden: hidden, consent: runtime.consent, pageURL: pageURL))
        body["form_version"] = .string(String(session.version))
        if let visitor = session.visitorId { body["visitor_id"] = .string(visitor) }
        if let id = session.sessionId { body["session_id"] = .string(id) }
        if let referrer = req.headers.first(name: .referer) {
            body["referrer"] = .string(String(referrer.prefix(2_000)))
        }
        body["form_elapsed_ms"] = .number(max(0, req.now.timeIntervalSince(session.startedAt) * 1_000).rounded())
        if let honeypot, !honeypot.isEmpty { body["honeypot"] = .string(honeypot) }

        let outcome: LeadOutcome
        do {
            if let wait = req.application.intakeLimits.perAddress.take(
                (req.clientIP ?? "?") + "|hosted|" + runtime.formId.text, now: req.now)
            {
                throw AppError.tooManyRequests(
                    retryAfter: wait, message: "Trop de demandes envoyées en peu de temps. Réessayez dans \(wait) s.")
            }
            outcome = try await IntakeController.store(
                body, form: form, apiKeyId: nil, submissionHash: IntakeController.hash(body, formId: form.id),
                idempotencyKey: "hosted:" + session.token, req: req)
        } catch let errors as FieldErrors {
            try await session.save(on: req.db)
            let page = HostedFormPage(
                runtime: runtime, definition: definition, step: step, answers: session.answers, errors: errors,
                notice: "Votre demande n'a pas pu être envoyée : "
                    + errors.messages.values.flatMap { $0 }.prefix(3).joined(separator: " "),
                token: session.token, action: Self.action(runtime), communes: req.application.communes.names)
            return Self.html(page.render(), status: byScript ? .ok : .unprocessableEntity)
        } catch AppError.tooManyRequests(_, let message) {
            try await session.save(on: req.db)
            let page = HostedFormPage(
                runtime: runtime, definition: definition, step: step, answers: session.answers, notice: message,
                token: session.token, action: Self.action(runtime), communes: req.application.communes.names)
            return Self.html(page.render(), status: .tooManyRequests)
        }
        switch outcome {
        case .stored(let stored), .doubleSubmit(let stored): session.leadId = stored.id
        case .replayed(_, let text):
            session.leadId = (try? JSONDecoder().decode(IdOnly.self, from: Data(text.utf8)))?.id
        case .idempotencyMismatch: break
        }
        session.status = .completed
        session.endedAt = req.now
        session.currentStep = definition.steps.first { $0.kind == .thankYou }?.id ?? step.id
        try await session.save(on: req.db)
        if let redirect = runtime.thankYouRedirect {
            if byScript {
                // fetch() cannot follow a redirect to another site: the script goes there itself.
                var page = HostedFormPage(
                    runtime: runtime, definition: definition,
                    step: definition.steps.first { $0.kind == .thankYou }
                        ?? FormStep(id: "merci", kind: .thankYou, title: "Merci, votre demande est bien envoyée"),
                    mode: .completed, answers: session.answers, token: session.token, action: Self.action(runtime),
                    communes: req.application.communes.names)
                page.redirect = redirect
                return Self.html(page.render(), status: .ok)
            }
            return req.redirect(to: redirect, redirectType: .normal)
        }
        return req.redirect(to: back, redirectType: .normal)
    }

    struct IdOnly: Decodable { let id: UUID }

    // MARK: - Communes and popup

    /// `GET /f/{form_code}/communes?cp=01400`: the communes of a postal code (JSON list).
    @Sendable func communes(req: Request) async throws -> Response {
        let code = (req.query[String.self, at: "cp"] ?? "").filter(\.isNumber)
        let names = code.count == 5 ? req.application.communes.names(code) : []
        let response = Response(status: .ok, body: .init(string: JSONText.encode(names)))
        response.headers.contentType = .json
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=86400")
        return response
    }

    /// `GET /f/embed.js`: the popup of the brief. A button (or any element) with
    /// `data-leadhub-form="https://…/f/CODE?org=…"` opens the form in a dialog over the page.
    @Sendable func embedScript(req: Request) async throws -> Response {
        let response = Response(status: .ok, body: .init(string: Self.popupScript))
        response.headers.contentType = HTTPMediaType(
            type: "application", subType: "javascript", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=3600")
        response.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: "*")
        response.headers.replaceOrAdd(name: "Cross-Origin-Resource-Policy", value: "cross-origin")
        return response
    }

    static let popupScript = """
        (function(){function open(url){var d=document,o=d.createElement("div"),f=d.createElement("iframe"),\
        c=d.createElement("button"),last=d.activeElement;o.setAttribute("role","dialog");o.setAttribute("aria-modal","true");\
        o.setAttribute("aria-label","Formulaire");o.style.cssText="position:fixed;inset:0;z-index:2147483647;\
        background:rgba(0,0,0,.55);display:flex;align-items:center;justify-content:center;padding:12px";\
        f.src=url+(url.indexOf("?")<0?"?":"&")+"embed=1";f.title="Formulaire";f.style.cssText="width:100%;\
        max-width:640px;height:90vh;border:0;border-radius:12px;background:#fff";c.type="button";c.textContent="Fermer";\
        c.style.cssText="position:absolute;top:8px;right:8px;font:600 16px system-ui;padding:8px 14px;\
        border-radius:8px;border:0;background:#fff;cursor:pointer";function close(){o.remove();\
        d.removeEventListener("keydown",key);if(last&&last.focus)last.focus()}function key(e){if(e.key==="Escape")close()}\
        c.onclick=close;o.onclick=function(e){if(e.target===o)close()};d.addEventListener("keydown",key);\
        o.appendChild(f);o.appendChild(c);d.body.appendChild(o);c.focus()}document.addEventListener("click",\
        function(e){var t=e.target.closest&&e.target.closest("[data-leadhub-form]");if(!t)return;e.preventDefault();\
        open(t.getAttribute("data-leadhub-form"))})})();
        """

    // MARK: - Helpers

    static func runtime(_ req: Request) async throws -> HostedFormRuntime {
        var slug = req.query[String.self, at: "org"]?.lowercased()
        if slug?.isEmpty != false, let host = req.headers.first(name: .host) {
            // An account's own domain (`domain` on its page) pointed at LeadHub names the organization.
            slug = try await organizationSlug(forHost: host, req: req)
        }
        guard let slug, !slug.isEmpty,
            let code = req.parameters.get("form_code")?.uppercased(),
            let runtime = try await HostedFormRuntime.load(
                slug: slug, code: code, now: req.now, on: req.db, cache: req.application.intakeCache)
        else {
            throw AppError.notFound
        }
        return runtime
    }

    /// The organization of the account whose domain is `host` (with or without `www.`).
    static func organizationSlug(forHost host: String, req: Request) async throws -> String? {
        let name = String(host.split(separator: ":").first ?? "").lowercased()
        guard !name.isEmpty, name.contains(".") else { return nil }
        let bare = name.hasPrefix("www.") ? String(name.dropFirst(4)) : name
        let organizations = try await req.application.intakeCache.hostedDomains.value(bare, now: req.now) {
            () async throws -> String? in
            let accounts = try await Account.query(on: req.db).group(.or) {
                $0.filter(\.$domain == bare).filter(\.$domain == "www." + bare)
            }.all()
            let ids = Set(accounts.map(\.organizationId))
            // A domain claimed by two organizations names neither.
            guard ids.count == 1, let id = ids.first else { return nil }
            return try await Organization.find(id, on: req.db)?.slug
        }
        return organizations
    }

    static func session(token: String, runtime: HostedFormRuntime, on db: any Database) async throws -> FormSession? {
        guard token.count <= 64 else { return nil }
        return try await FormSession.query(on: db).filter(\.$token == token)
            .filter(\.$organizationId == runtime.organizationId).filter(\.$formId == runtime.formId).first()
    }

    /// The version the session started with (a walk never changes version midway).
    static func definition(for session: FormSession, runtime: HostedFormRuntime, on db: any Database) async throws
        -> FormDefinition
    {
        if session.version == runtime.version { return runtime.definition }
        return try await HostedFormVersion.query(on: db).filter(\.$formId == runtime.formId)
            .filter(\.$version == session.version).first()?.definition ?? runtime.definition
    }

    static func action(_ runtime: HostedFormRuntime) -> String {
        "/f/" + runtime.code + "?org=" + runtime.organizationSlug
    }

    static func pageURL(_ req: Request) -> String {
        String((APIDocsController.serverURL(req) + req.url.string).prefix(2_000))
    }

    /// The query string, every value of every name.
    static func queryItems(_ req: Request) -> [String: [String]] {
        parse(req.url.query ?? "")
    }

    /// What the first screen carries until a session exists: the hidden parameters the form
    /// keeps, the campaign's visitor and session ids (new ones when absent) and the LP code.
    static func carried(from query: [String: [String]], definition: FormDefinition) -> [String: String] {
        var out: [String: String] = [:]
        for name in Set(definition.hidden + EventSubmission.attributionFields + ["lp", "lh_visitor", "lh_session"]) {
            if let value = query[name]?.first?.trimmedText, !value.isEmpty {
                out[name] = String(value.prefix(200))
            }
        }
        TrackingController.ensureVisitorIds(&out)
        return out
    }

    static func isPreviewOrBot(_ req: Request) -> Bool {
        let agent = (req.headers.first(name: .userAgent) ?? "").lowercased()
        return agent.isEmpty || agent.containsBytes("bot") || agent.containsBytes("spider")
            || agent.containsBytes("crawl")
    }

    static func track(
        _ type: TrackingEventType, runtime: HostedFormRuntime, visitor: String?, session: String?,
        attribution: [String: String], url: String?, referrer: String?, step: Int? = nil, stepId: String? = nil,
        req: Request
    ) {
        var kept: [String: String] = [:]
        for name in EventSubmission.attributionFields { kept[name] = attribution[name] }
        let event = TrackingEvent(
            type: type, formCode: runtime.code, visitorId: visitor, sessionId: session, url: url,
            referrer: referrer.map { String($0.prefix(2_000)) }, attribution: kept, step: step, stepId: stepId)
        _ = req.application.eventIngest.accept([
            EventIngest.Item(
                organizationId: runtime.organizationId, event: event, lpId: nil, formId: runtime.formId,
                stats: runtime.hourKey(at: req.now), receivedAt: req.now)
        ])
    }

    /// `a=1&b=2&b=3` (form posts and query strings), `+` as a space.
    static func parse(_ text: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let text = String(part).replacingIfPresent("+", with: " ")
                return text.containsBytes("%") ? text.removingPercentEncoding ?? text : text
            }
            let key = decode(parts[0])
            guard !key.isEmpty, key.count <= 100, out.count < 200 else { continue }
            out[key, default: []].append(parts.count > 1 ? decode(parts[1]) : "")
        }
        return out
    }

    /// A hosted page can be framed anywhere (the iframe of the brief) and runs the account's tags.
    static func html(_ text: String, status: HTTPResponseStatus) -> Response {
        let response = Response(status: status, body: .init(string: text))
        response.headers.replaceOrAdd(name: .contentType, value: "text/html; charset=utf-8")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "strict-origin-when-cross-origin")
        response.headers.replaceOrAdd(
            name: "Content-Security-Policy",
            value: "default-src 'self'; img-src * data:; style-src 'self' 'unsafe-inline'; "
                + "script-src 'self' 'unsafe-inline' https://www.googletagmanager.com https://www.google-analytics.com; "
                + "connect-src 'self' https:; frame-src https:; frame-ancestors *; base-uri 'none'")
        return response
    }

    static func message(_ text: String, runtime: HostedFormRuntime) -> String {
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            + "content=\"width=device-width,initial-scale=1\"><title>" + HTMLText.escape(runtime.branding.accountName)
            + "</title></head><body><main><h1>" + HTMLText.escape(text) + "</h1></main></body></html>"
    }
}
