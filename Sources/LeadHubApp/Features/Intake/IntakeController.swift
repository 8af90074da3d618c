import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// `POST /api/v1/leads`: the public lead API. Validates, stores durably, then answers.
struct IntakeController {
    static let maxBody = 64 * 1024

    /// Who is submitting: an organization key (the body names the form) or a form key.
    struct Caller {
        let organizationId: UUID
        let apiKeyId: UUID?
        let form: IntakeForm?
        let rateKey: String
        let limiter: RateLimiter
        /// The first version's call (its global key, or `/api/submit-lead` with its form key):
        /// the body is read with the first version's field names, and the call is counted.
        var v1: V1Compat.Endpoint? = nil
    }

    @Sendable func preflight(req: Request) async throws -> Response {
        let response = Response(status: .noContent)
        Self.addCORS(to: response, origin: req.headers.first(name: .origin))
        response.headers.replaceOrAdd(name: .accessControlAllowMethods, value: "POST, OPTIONS")
        response.headers.replaceOrAdd(
            name: .accessControlAllowHeaders, value: "Authorization, Content-Type, Idempotency-Key")
        response.headers.replaceOrAdd(name: .accessControlMaxAge, value: "600")
        return response
    }

    @Sendable func submit(req: Request) async throws -> Response {
        await answer(req, firstVersionForm: false)
    }

    /// `POST /api/submit-lead`: the first version's browser call, its form key in the body.
    @Sendable func submitV1(req: Request) async throws -> Response {
        await answer(req, firstVersionForm: true)
    }

    private func answer(_ req: Request, firstVersionForm: Bool) async -> Response {
        let origin = req.headers.first(name: .origin)
        do {
            let response = try await handle(req, firstVersionForm: firstVersionForm)
            Self.addCORS(to: response, origin: origin)
            return response
        } catch {
            // Browser callers must be able to read the error too, and the first version's page
            // code reads `success` and `detail`.
            let response = await V1Answer.error(error, for: req)
            Self.addCORS(to: response, origin: origin)
            return response
        }
    }

    private func handle(_ req: Request, firstVersionForm: Bool) async throws -> Response {
        // The raw header: Vapor's parsed `contentType` allocates, and this is the hottest route.
        let contentType = req.headers.first(name: .contentType)?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            throw Abort(.unsupportedMediaType, reason: "Envoyez le lead en JSON (Content-Type: application/json).")
        }
        if let length = req.body.data?.readableBytes, length > Self.maxBody {
            throw Abort(.payloadTooLarge, reason: "Corps de requête trop volumineux (64 Ko au plus).")
        }
        let caller: Caller
        var body: [String: JSONValue] = [:]
        if firstVersionForm {
            body = try Self.decodeBody(req)
            caller = try await authenticateV1Form(req, body: body)
        } else {
            caller = try await authenticate(req)
        }
        if let wait = caller.limiter.take(caller.rateKey, now: req.now) {
            throw AppError.tooManyRequests(
                retryAfter: wait, message: "Trop de leads envoyés en peu de temps. Réessayez dans \(wait) s.")
        }
        if !firstVersionForm { body = try Self.decodeBody(req) }
        let idempotencyKey = try Self.idempotencyKey(req)

        let form = try await resolveForm(caller: caller, body: body, req: req)
        let submissionHash = Self.hash(body, formId: form.id)
        if let endpoint = caller.v1 {
            req.application.v1CallCounter.record(
                endpoint, organizationId: form.organizationId, pageCode: form.code, at: req.now)
            body = V1Compat.leadBody(body, formCode: form.code)
        }
        guard form.active else {
            throw AppError.forbidden("Le formulaire \(form.code) est archivé : il n'accepte plus de leads.")
        }
        if caller.form != nil, let origin = req.headers.first(name: .origin), !form.allowedOrigins.isEmpty,
            !form.allowedOrigins.contains(origin.lowercased())
        {
            throw AppError.forbidden("Origine non autorisée pour ce formulaire : \(origin).")
        }

        let outcome = try await Self.store(
            body, form: form, apiKeyId: caller.apiKeyId, submissionHash: submissionHash,
            idempotencyKey: idempotencyKey, req: req)
        switch outcome {
        case .stored(let stored), .doubleSubmit(let stored):
            let response = Response(status: .created)
            response.headers.replaceOrAdd(name: .contentType, value: "application/json; charset=utf-8")
            response.body = .init(string: LeadWriter.answerJSON(stored.answer))
            return response
        case .replayed(let status, let body):
            let response = Response(status: HTTPResponseStatus(statusCode: status))
            response.headers.contentType = .json
            response.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true")
            response.body = .init(string: body)
            return response
        case .idempotencyMismatch:
            throw FieldErrors([
                "Idempotency-Key": [
                    "Cette clé d'idempotence a déjà servi pour un autre lead : utilisez une nouvelle clé."
                ]
            ])
        }
    }

    /// The pipeline after the caller and the form are known: checks the body against the form,
    /// finds its landing page and routing, and stores the lead durably (`LeadWriter`). Shared
    /// by the lead API and hosted forms (`HostedForms/`), so that a lead is one thing however
    /// it arrives. Throws the field errors when the lead is refused.
    static func store(
        _ body: [String: JSONValue], form: IntakeForm, apiKeyId: UUID?, submissionHash: String,
        idempotencyKey: String?, req: Request
    ) async throws -> LeadOutcome {
        // Every lead the business paid the click for is kept: with field errors it is stored as
        // incomplete or invalid and waits in « À vérifier », unless the organization is strict or
        // there is nothing to reach the person with.
        let inspection = LeadSubmission.inspect(
            body, required: form.requiredFields, metropolitanOnly: form.metropolitanOnly)
        if !inspection.isValid, form.policy.strict || !inspection.hasContact {
            throw inspection.errors
        }
        let lead = inspection.lead
        var landingPage: IntakeCache.PageRef? = nil
        if let code = lead.lpCode?.uppercased() {
            landingPage = try await req.application.intakeCache.landingPage(
                code: code, organizationId: form.organizationId, now: req.now, on: req.db)
        }

        let routing = try await req.application.intakeCache.routingConfig(
            organizationId: form.organizationId, now: req.now, on: req.db)
        let draft = LeadDraft(
            id: TimeOrderedID.make(at: req.now), organizationId: form.organizationId, formId: form.id,
            accountId: form.accountId,
            crmId: form.crmId, landingPageId: landingPage?.id, diffusionSourceId: landingPage?.diffusionSourceId,
            productType: form.productType, formCode: form.code, lead: lead, ip: req.clientIP,
            userAgent: req.headers.first(name: .userAgent).map { String($0.prefix(300)) }, apiKeyId: apiKeyId,
            submissionHash: submissionHash, idempotencyKey: idempotencyKey,
            receivedAt: req.now, duplicateWindowHours: form.duplicateWindowHours,
            excludeFromRouting: form.excludeFromRouting, routing: routing, kept: inspection.keptStatus,
            errors: inspection.errors, quality: Self.quality(of: inspection, form: form, req: req),
            policy: form.policy, consentHash: lead.consent.text.map(Secrets.sha256Hex))

        return try await req.application.leadWriter.submit(draft)
    }

    /// The quality signals of the submission itself (`LeadQuality`); repeats are counted by the writer.
    static func quality(of inspection: LeadInspection, form: IntakeForm, req: Request) -> QualityAssessment {
        let lead = inspection.lead
        let ip = req.clientIP
        return LeadQuality.assess(
            LeadQuality.Input(
                honeypot: lead.honeypot, formElapsedMs: lead.formElapsedMs,
                country: req.application.config.ipCountryHeader.flatMap { req.headers.first(name: $0) },
                addressInSuspectRange: ip.map { ip in form.policy.suspectRanges.contains { $0.contains(ip) } } ?? false,
                email: lead.email, nationalPhone: inspection.phoneReadable ? lead.phone.national : nil,
                nom: lead.nom, prenom: lead.prenom,
                codePostal: inspection.errors.first("code_postal") == nil ? lead.codePostal : nil),
            disposableDomains: req.application.qualityLists.disposableDomains)
    }

    private func authenticate(_ req: Request) async throws -> Caller {
        guard let header = req.headers.first(name: .authorization) else {
            throw AppError.unauthorized("Clé d'API manquante : en-tête « Authorization: Token <clé> ».")
        }
        let parts = header.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, ["token", "bearer"].contains(parts[0].lowercased()) else {
            throw AppError.unauthorized("En-tête Authorization invalide : « Token <clé> » attendu.")
        }
        let key = parts[1].trimmingCharacters(in: .whitespaces)
        let limits = req.application.intakeLimits
        let cache = req.application.intakeCache
        if key.hasPrefix("lhf_") {
            guard let form = try await cache.form(key: key, now: req.now, on: req.db) else {
                throw AppError.unauthorized("Clé de formulaire inconnue.")
            }
            return Caller(
                organizationId: form.organizationId, apiKeyId: nil, form: form,
                rateKey: (req.clientIP ?? "?") + "|" + key, limiter: limits.perAddress)
        }
        let firstVersion = key.hasPrefix(V1Compat.globalKeyPrefix)
        guard key.hasPrefix(ApiKeyService.keyPrefix) || firstVersion,
            let apiKey = try await cache.organizationKey(key, now: req.now, on: req.db)
        else {
            throw AppError.unauthorized("Clé d'API inconnue ou révoquée.")
        }
        if firstVersion, try await !cache.v1Enabled(organizationId: apiKey.organizationId, now: req.now, on: req.db) {
            throw AppError.unauthorized(V1Compat.disabledMessage)
        }
        if cache.shouldRecordUse(of: apiKey.id, now: req.now) {
            // At most once a minute per key, and never through Fluent (that would empty the cache).
            try? await (req.db as! any SQLDatabase).update("organization_api_keys").set("last_used_at", to: req.now)
                .where("id", .equal, apiKey.id).run()
        }
        return Caller(
            organizationId: apiKey.organizationId, apiKeyId: apiKey.id, form: nil, rateKey: apiKey.id.text,
            limiter: limits.perKey, v1: firstVersion ? .leadsV1 : nil)
    }

    /// `/api/submit-lead` carries the first version's form key in its body (`api_key`).
    private func authenticateV1Form(_ req: Request, body: [String: JSONValue]) async throws -> Caller {
        guard let key = body["api_key"]?.text?.trimmedText, !key.isEmpty else {
            throw AppError.unauthorized(
                "Clé API manquante : ajoutez « api_key » (la clé du formulaire) dans la requête.")
        }
        guard let form = try await req.application.intakeCache.v1Form(key: key, now: req.now, on: req.db) else {
            throw AppError.unauthorized("Clé API invalide ou formulaire non trouvé.")
        }
        return Caller(
            organizationId: form.organizationId, apiKeyId: nil, form: form,
            rateKey: (req.clientIP ?? "?") + "|v1|" + form.id.text,
            limiter: req.application.intakeLimits.perAddress,
            v1: .submitLead)
    }

    private func resolveForm(caller: Caller, body: [String: JSONValue], req: Request) async throws -> IntakeForm {
        let raw = body["form_code"]?.text?.trimmingCharacters(in: .whitespaces)
        // First-version codes are read as the import stored them (`pv_tab` → `PV-TAB`).
        let named = caller.v1 != nil ? raw.map { V1Mapping.code($0) ?? $0.uppercased() } : raw?.uppercased()
        if let form = caller.form {
            if let named, !named.isEmpty, named != form.code {
                throw FieldErrors(["form_code": ["Ce code ne correspond pas au formulaire de la clé (\(form.code))."]])
            }
            return form
        }
        if named == nil || named!.isEmpty, let formId = body["form_id"]?.text?.trimmedText, !formId.isEmpty {
            // The first version's `form_id`: its own form id, LeadHub's, or the form's code.
            guard
                let form = try await req.application.intakeCache.v1Form(
                    named: formId, organizationId: caller.organizationId, now: req.now, on: req.db)
            else {
                throw FieldErrors(["form_id": ["Formulaire inconnu : \(formId.prefix(64))."]])
            }
            return form
        }
        guard let named, !named.isEmpty else {
            throw FieldErrors(["form_code": ["Le code du formulaire est obligatoire avec une clé d'organisation."]])
        }
        guard
            let form = try await req.application.intakeCache.form(
                code: named, organizationId: caller.organizationId, now: req.now, on: req.db)
        else {
            throw FieldErrors(["form_code": ["Formulaire inconnu : \(named)."]])
        }
        return form
    }

    static func decodeBody(_ req: Request) throws -> [String: JSONValue] {
        guard let buffer = req.body.data, buffer.readableBytes > 0 else {
            throw AppError.badRequest("Corps de requête vide : envoyez le lead en JSON.")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(Array(buffer.readableBytesView))
        } catch {
            throw AppError.badRequest("Corps de requête illisible (JSON mal formé).")
        }
        guard case .object(let fields) = value else {
            throw AppError.badRequest("Le corps doit être un objet JSON.")
        }
        return fields
    }

    static func idempotencyKey(_ req: Request) throws -> String? {
        guard let raw = req.headers.first(name: "Idempotency-Key") else { return nil }
        let key = raw.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.count <= 255 else {
            throw FieldErrors(["Idempotency-Key": ["Clé d'idempotence invalide : 1 à 255 caractères."]])
        }
        return key
    }

    /// SHA-256 of the form and the canonical body: the same submission gives the same hash, in
    /// whatever order its fields were sent.
    static func hash(_ body: [String: JSONValue], formId: UUID) -> String {
        Secrets.sha256Hex(formId.text + JSONValue.object(body).canonical)
    }

    static func addCORS(to response: Response, origin: String?) {
        guard let origin, !origin.isEmpty else { return }
        response.headers.replaceOrAdd(name: .accessControlAllowOrigin, value: origin)
        response.headers.replaceOrAdd(name: .vary, value: "Origin")
        response.headers.replaceOrAdd(
            name: .accessControlExpose, value: "Idempotent-Replayed, Retry-After, X-Request-Id")
    }
}

/// Rate limits of the lead API: per organization key (servers), and per address and form key
/// (browsers). `LEADHUB_INTAKE_KEY_RATE` and `LEADHUB_INTAKE_ADDRESS_RATE` (per second) tune them.
struct IntakeLimits: Sendable {
    let perKey: RateLimiter
    let perAddress: RateLimiter

    init(perKey: RateLimiter, perAddress: RateLimiter) {
        self.perKey = perKey
        self.perAddress = perAddress
    }

    init(config: AppConfig) {
        let keyRate = config.intakeKeyRate
        let addressRate = config.intakeAddressRate
        self.init(
            perKey: RateLimiter(capacity: keyRate * 2, perSecond: keyRate),
            perAddress: RateLimiter(capacity: max(10, addressRate * 20), perSecond: addressRate))
    }
}

extension Application {
    private struct IntakeLimitsKey: StorageKey { typealias Value = IntakeLimits }

    var intakeLimits: IntakeLimits {
        get { storage[IntakeLimitsKey.self] ?? IntakeLimits(config: config) }
        set { storage[IntakeLimitsKey.self] = newValue }
    }
}
