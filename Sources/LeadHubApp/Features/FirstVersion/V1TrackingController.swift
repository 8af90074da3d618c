import Foundation
import LeadHubCore
import Vapor

/// The first version's tracking calls, `POST /api/track/lp-visit`, `/cta-click` and `/form-start`,
/// with their old bodies (`lp_code`, `form_code`, `liaison_code`, `domain`, `referrer`,
/// `user_agent`; `lp` and `liaison` also read from the query). They name no organization: the page
/// code is looked up in the organizations that answer first-version calls. Each becomes a LeadHub
/// tracking event, buffered and counted like those of `/api/v1/events`.
struct V1TrackingController {
    @Sendable func preflight(req: Request) async throws -> Response {
        let response = Response(status: .noContent)
        TrackingController.addCORS(to: response, origin: req.headers.first(name: .origin))
        response.headers.replaceOrAdd(name: .accessControlAllowMethods, value: "POST, OPTIONS")
        response.headers.replaceOrAdd(
            name: .accessControlAllowHeaders,
            value: req.headers.first(name: .accessControlRequestHeaders) ?? "Authorization, Content-Type")
        response.headers.replaceOrAdd(name: .accessControlMaxAge, value: "600")
        return response
    }

    func handler(_ call: V1Compat.TrackCall) -> @Sendable (Request) async throws -> Response {
        { req in
            let origin = req.headers.first(name: .origin)
            let response: Response
            do {
                response = try await track(call, req)
            } catch {
                response = await V1Answer.error(error, for: req)
            }
            TrackingController.addCORS(to: response, origin: origin)
            return response
        }
    }

    private func track(_ call: V1Compat.TrackCall, _ req: Request) async throws -> Response {
        guard let buffer = req.body.data, buffer.readableBytes > 0 else {
            throw AppError.badRequest("Corps de requête vide : envoyez l'événement en JSON.")
        }
        if buffer.readableBytes > TrackingController.maxBody {
            throw Abort(.payloadTooLarge, reason: "Corps de requête trop volumineux (64 Ko au plus).")
        }
        if let address = req.clientIP, let wait = req.application.eventLimits.take(address, now: req.now) {
            throw AppError.tooManyRequests(
                retryAfter: wait, message: "Trop d'événements envoyés en peu de temps. Réessayez dans \(wait) s.")
        }
        guard case .object(let body)? = try? JSONParser.parse(Array(buffer.readableBytesView)) else {
            throw AppError.badRequest("Corps de requête illisible : un objet JSON est attendu.")
        }
        func text(_ key: String) -> String? {
            guard let value = body[key]?.text?.trimmedText, !value.isEmpty else { return nil }
            return String(value.prefix(200))
        }
        let formCode = V1Mapping.code(text("form_code"))
        let liaison = text("liaison_code") ?? req.query[String.self, at: "liaison"]
        let lpCode =
            V1Compat.landingPageCode(text("lp_code")) ?? V1Compat.landingPageCode(req.query[String.self, at: "lp"])
            ?? V1Compat.landingPageCode(liaison: liaison, formCode: formCode)

        let cache = req.application.intakeCache
        let organizationId: UUID
        switch call {
        case .lpVisit, .ctaClick:
            guard let lpCode else {
                throw FieldErrors(["lp_code": ["Le code de la landing page est obligatoire."]])
            }
            guard let (organization, _) = try await cache.v1TrackedPage(code: lpCode, now: req.now, on: req.db) else {
                throw Abort(.notFound, reason: "LP inconnue : \(lpCode.prefix(40)).")
            }
            organizationId = organization
        case .formStart:
            guard let formCode else {
                throw FieldErrors(["form_code": ["Le code du formulaire est obligatoire."]])
            }
            guard let (organization, _) = try await cache.v1TrackedForm(code: formCode, now: req.now, on: req.db) else {
                throw Abort(.notFound, reason: "Formulaire inconnu : \(formCode.prefix(40)).")
            }
            organizationId = organization
        }
        req.application.v1CallCounter.record(
            .init(call), organizationId: organizationId, pageCode: call == .formStart ? formCode : lpCode, at: req.now)
        if req.application.botVerdicts.isBot(req.headers.first(name: .userAgent)) {
            return try Self.answer(accepted: 0)
        }
        let referrer =
            (text("referrer").flatMap { Check.isHTTPURL($0) ? $0 : nil })
            ?? req.headers.first(name: .referer).flatMap { Check.isHTTPURL($0) ? String($0.prefix(2_000)) : nil }
        let event = TrackingEvent(
            type: call.eventType, lpCode: lpCode, formCode: formCode,
            url: req.headers.first(name: .referer).flatMap { Check.isHTTPURL($0) ? String($0.prefix(2_000)) : nil },
            referrer: referrer)
        switch try await TrackingController.resolve(event, organizationId: organizationId, req: req) {
        case .failure(let problem): throw FieldErrors([problem.field: [problem.message]])
        case .success(let item):
            guard req.application.eventIngest.accept([item]) else {
                throw Abort(
                    .serviceUnavailable, headers: ["Retry-After": "1"],
                    reason: "Trop d'événements en attente d'écriture : réessayez dans un instant.")
            }
        }
        return try Self.answer(accepted: 1)
    }

    static func answer(accepted: Int) throws -> Response {
        struct Body: Content {
            let success: Bool
            let accepted: Int
        }
        let response = Response(status: .ok)
        try response.content.encode(Body(success: true, accepted: accepted), as: .json)
        return response
    }
}
