import Crypto
import Foundation
import Synchronization
import LeadHubCore
import Vapor

/// The public side of tracking: the script (`GET /t.js`), event ingestion (`POST /api/v1/events`)
/// and the redirect links for pages that cannot run a script (`GET /r/{lp_code}`,
/// `GET /go/{form_code}`). The organization is named by its public tracking id (its slug) in the
/// script tag (`data-org`), the events (`org`) and the links (`?org=`).
struct TrackingController {
    static let maxBody = 64 * 1024

    // MARK: - Script

    /// The tracker, loaded once; its version is the start of its SHA-256, so that
    /// `/t.js?v=<version>` can be cached for a year and a new script gets a new address.
    struct Script: Sendable {
        let source: String
        let version: String

        static func load(from resources: String) throws -> Script {
            let source = try String(contentsOfFile: resources + "Tracker/t.js", encoding: .utf8)
            return Script(source: source, version: String(Secrets.sha256Hex(source).prefix(10)))
        }
    }

    @Sendable func script(req: Request) async throws -> Response {
        let script = req.application.trackerScript
        let response = Response(status: .ok, body: .init(string: script.source))
        response.headers.contentType = HTTPMediaType(
            type: "application", subType: "javascript", parameters: ["charset": "utf-8"])
        let versioned = req.query[String.self, at: "v"] == script.version
        response.headers.replaceOrAdd(
            name: .cacheControl, value: versioned ? "public, max-age=31536000, immutable" : "public, max-age=300")
        response.headers.replaceOrAdd(name: .eTag, value: "\"\(script.version)\"")
        response.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: "*")
        response.headers.replaceOrAdd(name: "Cross-Origin-Resource-Policy", value: "cross-origin")
        return response
    }

    // MARK: - Events

    @Sendable func preflight(req: Request) async throws -> Response {
        let response = Response(status: .noContent)
        Self.addCORS(to: response, origin: req.headers.first(name: .origin))
        response.headers.replaceOrAdd(name: .accessControlAllowMethods, value: "POST, OPTIONS")
        response.headers.replaceOrAdd(name: .accessControlAllowHeaders, value: "Content-Type")
        response.headers.replaceOrAdd(name: .accessControlMaxAge, value: "600")
        return response
    }

    static func addCORS(to response: Response, origin: String?) {
        // Events come from any site that carries the script; no credentials are involved.
        response.headers.replaceOrAdd(
            name: .accessControlAllowOrigin, value: origin.map { $0.isEmpty ? "*" : $0 } ?? "*")
        response.headers.replaceOrAdd(name: .vary, value: "Origin")
        response.headers.replaceOrAdd(name: .accessControlExpose, value: "Retry-After")
    }

    @Sendable func events(req: Request) async throws -> Response {
        let origin = req.headers.first(name: .origin)
        let response: Response
        do {
            response = try await ingest(req)
        } catch {
            response = await LeadHubErrorMiddleware.answer(error, for: req)
        }
        Self.addCORS(to: response, origin: origin)
        return response
    }

    private func ingest(_ req: Request) async throws -> Response {
        // sendBeacon posts text/plain (no preflight); scripts and servers post JSON.
        let contentType = req.headers.first(name: .contentType)?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") || contentType.hasPrefix("text/plain") else {
            throw Abort(
                .unsupportedMediaType, reason: "Envoyez les événements en JSON (Content-Type: application/json).")
        }
        guard let buffer = req.body.data, buffer.readableBytes > 0 else {
            throw AppError.badRequest("Corps de requête vide : envoyez un événement ou {\"events\": […]} en JSON.")
        }
        if buffer.readableBytes > Self.maxBody {
            throw Abort(.payloadTooLarge, reason: "Corps de requête trop volumineux (64 Ko au plus).")
        }
        if let address = req.clientIP, let wait = req.application.eventLimits.take(address, now: req.now) {
            throw AppError.tooManyRequests(
                retryAfter: wait, message: "Trop d'événements envoyés en peu de temps. Réessayez dans \(wait) s.")
        }
        let body: JSONValue
        do {
            body = try JSONParser.parse(Array(buffer.readableBytesView))
        } catch {
            throw AppError.badRequest("Corps de requête illisible (JSON mal formé).")
        }
        let events: [TrackingEvent]
        switch EventSubmission.parse(body) {
        case .success(let parsed): events = parsed
        case .failure(let errors): throw errors
        }
        guard case .object(let fields) = body, let slug = fields["org"]?.text?.trimmedText, !slug.isEmpty
        else {
            throw FieldErrors([
                "org": ["Identifiant de suivi de l'organisation obligatoire (attribut data-org du script)."]
            ])
        }
        let cache = req.application.intakeCache
        guard let organizationId = try await cache.organization(slug: slug.lowercased(), now: req.now, on: req.db)
        else {
            throw FieldErrors(["org": ["Identifiant de suivi inconnu : « \(slug.prefix(64)) »."]])
        }
        if req.application.botVerdicts.isBot(req.headers.first(name: .userAgent)) {
            return try Self.accepted(0, dropped: events.count)
        }
        let batch = fields["events"] != nil
        var errors = FieldErrors()
        var items: [EventIngest.Item] = []
        // A beacon's events usually name the same page and form: look each pair up once.
        var memo: [String: Result<EventIngest.Item, Problem>] = [:]
        for (index, event) in events.enumerated() {
            let prefix = batch ? "events[\(index)]." : ""
            let memoKey = "\(event.type.rawValue)|\(event.lpCode ?? "")|\(event.formCode ?? "")"
            let resolved: Result<EventIngest.Item, Problem>
            if let known = memo[memoKey] {
                resolved = known.map {
                    EventIngest.Item(
                        organizationId: $0.organizationId, event: event, lpId: $0.lpId, formId: $0.formId,
                        stats: $0.stats, receivedAt: $0.receivedAt)
                }
            } else {
                resolved = try await Self.resolve(event, organizationId: organizationId, req: req)
                memo[memoKey] = resolved
            }
            switch resolved {
            case .failure(let problem): errors.add(prefix + problem.field, problem.message)
            case .success(let item): items.append(item)
            }
        }
        try errors.throwIfAny()
        guard req.application.eventIngest.accept(items) else {
            throw Abort(
                .serviceUnavailable, headers: ["Retry-After": "1"],
                reason: "Trop d'événements en attente d'écriture : réessayez dans un instant.")
        }
        return try Self.accepted(items.count, dropped: 0)
    }

    static func accepted(_ count: Int, dropped: Int) throws -> Response {
        let response = Response(status: .accepted)
        try response.content.encode(["accepted": count, "dropped": dropped], as: .json)
        return response
    }

    struct Problem: Error {
        let field: String
        let message: String
    }

    /// Finds the event's landing page and form in the organization; what it counts towards.
    static func resolve(_ event: TrackingEvent, organizationId: UUID, req: Request) async throws -> Result<
        EventIngest.Item, Problem
    > {
        let cache = req.application.intakeCache
        var page: TrackedPage? = nil
        var form: TrackedForm? = nil
        if let code = event.lpCode {
            page = try await cache.trackedPage(code: code, organizationId: organizationId, now: req.now, on: req.db)
            // A form event may carry a stale LP code from a link: the event still counts for its form.
            if page == nil, event.type.needsLandingPage {
                return .failure(Problem(field: "lp_code", message: "Landing page inconnue : \(code)."))
            }
        }
        if let code = event.formCode {
            form = try await cache.trackedForm(code: code, organizationId: organizationId, now: req.now, on: req.db)
            if form == nil, !event.type.needsLandingPage {
                return .failure(Problem(field: "form_code", message: "Formulaire inconnu : \(code)."))
            }
        }
        let text = StatsIncrements.text
        let formId = form?.id ?? page?.formId
        let key = StatsIncrements.HourKey(
            organizationId: organizationId, hour: StatsHour.bucket(req.now), lp: text(page?.id), form: text(formId),
            account: text(form?.accountId ?? page?.accountId), crm: text(form?.crmId ?? page?.crmId),
            source: text(page?.sourceId),
            product: form?.productType ?? page?.productType ?? "")
        return .success(
            EventIngest.Item(
                organizationId: organizationId, event: event, lpId: page?.id, formId: formId, stats: key,
                receivedAt: req.now))
    }

    // MARK: - Redirect links

    /// `GET /r/{lp_code}?org=…&utm_…`: a CTA click on a page that cannot run the script; counted,
    /// then sent on to the landing page's form with the session and campaign parameters.
    @Sendable func ctaRedirect(req: Request) async throws -> Response {
        let organizationId = try await Self.organization(req)
        let code = (req.parameters.get("lp_code") ?? "").uppercased()
        guard
            let page = try await req.application.intakeCache.trackedPage(
                code: code, organizationId: organizationId, now: req.now, on: req.db)
        else { throw Abort(.notFound, reason: "Landing page inconnue : \(code.prefix(32)).") }
        guard let formURL = page.formURL, Check.isHTTPURL(formURL) else {
            throw Abort(.notFound, reason: "La landing page \(page.code) n'a pas de formulaire avec une adresse.")
        }
        var parameters = Self.campaign(req)
        parameters["lp"] = page.code
        if !BotFilter.isBot(userAgent: req.headers.first(name: .userAgent)) {
            let event = TrackingEvent(
                type: .ctaClick, lpCode: page.code, formCode: page.formCode, visitorId: parameters["lh_visitor"],
                sessionId: parameters["lh_session"],
                referrer: req.headers.first(name: .referer).flatMap {
                    Check.isHTTPURL($0) ? String($0.prefix(2_000)) : nil
                },
                attribution: parameters.filter { EventSubmission.attributionFields.contains($0.key) })
            if case .success(let item) = try await Self.resolve(event, organizationId: organizationId, req: req) {
                _ = req.application.eventIngest.accept([item])
            }
        }
        // An A/B campaign of forms on this page sends each visitor to the form of their variant.
        let campaignForm = try await CampaignEntryController.formURL(
            landingPageId: page.id, organizationId: organizationId, visitorId: parameters["lh_visitor"]!, req: req)
        return Self.redirect(to: AttributionCarry.url(campaignForm ?? formURL, adding: parameters))
    }

    /// `GET /go/{form_code}?org=…&utm_…`: an ad link straight to a form; opens a session and
    /// sends the visitor on with the campaign parameters (the form's own script counts the start).
    @Sendable func formRedirect(req: Request) async throws -> Response {
        let organizationId = try await Self.organization(req)
        let code = (req.parameters.get("form_code") ?? "").uppercased()
        guard
            let form = try await req.application.intakeCache.trackedForm(
                code: code, organizationId: organizationId, now: req.now, on: req.db)
        else { throw Abort(.notFound, reason: "Formulaire inconnu : \(code.prefix(32)).") }
        guard let url = form.url, Check.isHTTPURL(url) else {
            throw Abort(.notFound, reason: "Le formulaire \(form.code) n'a pas d'adresse.")
        }
        return Self.redirect(to: AttributionCarry.url(url, adding: Self.campaign(req)))
    }

    static func organization(_ req: Request) async throws -> UUID {
        guard let slug = req.query[String.self, at: "org"]?.lowercased(), !slug.isEmpty,
            let id = try await req.application.intakeCache.organization(slug: slug, now: req.now, on: req.db)
        else { throw Abort(.notFound, reason: "Lien de suivi incomplet : paramètre org manquant ou inconnu.") }
        return id
    }

    /// The campaign parameters of the link, and a session and visitor (new ones if absent).
    static func campaign(_ req: Request) -> [String: String] {
        var parameters: [String: String] = [:]
        for name in AttributionCarry.carried {
            if let value = req.query[String.self, at: name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
                parameters[name] = String(value.prefix(200))
            }
        }
        ensureVisitorIds(&parameters)
        return parameters
    }

    /// Gives `lh_session` and `lh_visitor` new ids unless they hold valid ones (the same rule as
    /// the events' session and visitor ids). Shared by the links and the hosted forms.
    static func ensureVisitorIds(_ parameters: inout [String: String]) {
        func newId() -> String {
            UUID().lowercaseHex(24)
        }
        if !EventSubmission.isValidId(parameters["lh_session"]) { parameters["lh_session"] = newId() }
        if !EventSubmission.isValidId(parameters["lh_visitor"]) { parameters["lh_visitor"] = newId() }
    }

    static func redirect(to url: String) -> Response {
        let response = Response(status: .found)
        response.headers.replaceOrAdd(name: .location, value: url)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

/// `BotFilter` verdicts per user agent, remembered: the same few browsers send most events.
final class BotVerdicts: Sendable {
    private let verdicts = Mutex<[String: Bool]>([:])

    func isBot(_ userAgent: String?) -> Bool {
        guard let userAgent else { return true }
        if let known = verdicts.withLock({ $0[userAgent] }) { return known }
        let verdict = BotFilter.isBot(userAgent: userAgent)
        verdicts.withLock { verdicts in
            if verdicts.count >= 5_000 { verdicts.removeAll() }
            verdicts[userAgent] = verdict
        }
        return verdict
    }
}

extension Application {
    private struct BotVerdictsKey: StorageKey { typealias Value = BotVerdicts }

    var botVerdicts: BotVerdicts {
        if let verdicts = storage[BotVerdictsKey.self] { return verdicts }
        let verdicts = BotVerdicts()
        storage[BotVerdictsKey.self] = verdicts
        return verdicts
    }

    private struct ScriptKey: StorageKey { typealias Value = TrackingController.Script }
    private struct EventLimitsKey: StorageKey { typealias Value = RateLimiter }

    var trackerScript: TrackingController.Script {
        get { storage[ScriptKey.self]! }
        set { storage[ScriptKey.self] = newValue }
    }

    /// Events per address and second (`LEADHUB_EVENTS_ADDRESS_RATE`, default 20, bursts of 10×).
    var eventLimits: RateLimiter {
        get { storage[EventLimitsKey.self]! }
        set { storage[EventLimitsKey.self] = newValue }
    }
}
