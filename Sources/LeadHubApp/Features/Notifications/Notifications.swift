import AsyncHTTPClient
import Fluent
import Foundation
import LeadHubCore
import NIOCore
import Vapor

/// What a mail provider answered, word for word (shown by "Envoyer un e-mail de test").
struct MailResult: Sendable, Equatable {
    let status: Int?
    let body: String

    var accepted: Bool { (200..<300).contains(status ?? 0) }
}

/// Sends e-mail. The live one is SendGrid's HTTP API; tests point it at a fake on loopback.
protocol Mailer: Sendable {
    func send(apiKey: String, from: String, to: [String], subject: String, text: String) async -> MailResult
}

struct SendGridMailer: Mailer {
    let client: HTTPClient
    /// `https://api.sendgrid.com` (`LEADHUB_SENDGRID_URL` changes it, for tests).
    let baseURL: String

    func send(apiKey: String, from: String, to: [String], subject: String, text: String) async -> MailResult {
        let payload: [String: Any] = [
            "personalizations": [["to": to.map { ["email": $0] }]],
            "from": ["email": from, "name": "LeadHub"],
            "subject": subject,
            "content": [["type": "text/plain", "value": text]],
        ]
        guard let body = try? JSONSerialization.data(withJSONObject: payload) else {
            return MailResult(status: nil, body: "JSON")
        }
        var request = HTTPClientRequest(url: baseURL + "/v3/mail/send")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer " + apiKey)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(15))
            let text = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
            return MailResult(status: Int(response.status.code), body: text.isEmpty ? "(réponse vide)" : text)
        } catch {
            return MailResult(status: nil, body: "Connexion à SendGrid impossible : \(error)")
        }
    }
}

extension Application {
    private struct MailerKey: StorageKey { typealias Value = any Mailer }

    var mailer: any Mailer {
        get {
            storage[MailerKey.self]
                ?? SendGridMailer(
                    client: http.client.shared,
                    baseURL: config.sendgridURL)
        }
        set { storage[MailerKey.self] = newValue }
    }
}

/// The organization's notification settings ("Paramètres" → Notifications, and
/// `/api/admin/notifications`), the test e-mail, and the notices sent when an alert opens.
enum NotificationService {
    struct Input: Content {
        var sendgridApiKey: String?
        var mailFrom: String?
        var alertEmails: String?
        var webhookURL: String?

        enum CodingKeys: String, CodingKey {
            case sendgridApiKey = "sendgrid_api_key", mailFrom = "mail_from", alertEmails = "alert_emails"
            case webhookURL = "webhook_url"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            sendgridApiKey = try c.text(.sendgridApiKey)
            mailFrom = try c.text(.mailFrom)
            alertEmails = try c.text(.alertEmails)
            webhookURL = try c.text(.webhookURL)
        }
    }

    struct DTO: Content {
        let sendgridApiKey: String?
        let mailFrom: String?
        let alertEmails: [String]
        let webhookURL: String?

        enum CodingKeys: String, CodingKey {
            case sendgridApiKey = "sendgrid_api_key", mailFrom = "mail_from", alertEmails = "alert_emails"
            case webhookURL = "webhook_url"
        }
    }

    static func recipients(_ organization: Organization) -> [String] {
        (organization.alertEmails ?? "").split(whereSeparator: { ",; \n".contains($0) }).map(String.init)
    }

    static func dto(_ organization: Organization, secrets: SecretBox) -> DTO {
        DTO(
            sendgridApiKey: organization.sendgridKeySealed.flatMap { try? secrets.open($0) }.map(SecretBox.masked),
            mailFrom: organization.mailFrom, alertEmails: recipients(organization),
            webhookURL: organization.notifyWebhookURL)
    }

    static func update(_ input: Input, secrets: SecretBox, scope: TenantScope, now: Date, on db: any Database)
        async throws
        -> Organization
    {
        try scope.require(.manageOrganization)
        guard let organization = try await Organization.find(scope.organizationId, on: db) else {
            throw AppError.notFound
        }
        var errors = FieldErrors()
        if let key = input.sendgridApiKey?.trimmingCharacters(in: .whitespaces) {
            if key.isEmpty {
                organization.sendgridKeySealed = nil
            } else if key.count > 200 || key.contains(" ") {
                errors.add("sendgrid_api_key", "Clé SendGrid invalide.")
            } else {
                organization.sendgridKeySealed = try secrets.seal(key)
            }
        }
        if let from = input.mailFrom?.trimmingCharacters(in: .whitespaces) {
            if from.isEmpty {
                organization.mailFrom = nil
            } else if let address = EmailAddress.normalize(from) {
                organization.mailFrom = address
            } else {
                errors.add("mail_from", "Adresse d'expéditeur invalide.")
            }
        }
        if let list = input.alertEmails {
            let addresses = list.split(whereSeparator: { ",; \n\r".contains($0) }).map(String.init)
            var clean: [String] = []
            for address in addresses {
                if let normalized = EmailAddress.normalize(address) {
                    clean.append(normalized)
                } else {
                    errors.add("alert_emails", "Adresse invalide : \(address).")
                }
            }
            if addresses.count > 20 { errors.add("alert_emails", "20 destinataires au plus.") }
            organization.alertEmails = clean.isEmpty ? nil : clean.joined(separator: ", ")
        }
        if input.webhookURL != nil {
            organization.notifyWebhookURL = Check.optionalURL(input.webhookURL, field: "webhook_url", errors: &errors)
        }
        try errors.throwIfAny()
        try await db.transaction { tx in
            try await organization.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "organization", objectId: organization.id,
                summary: "Réglages des notifications modifiés",
                scope: scope, at: now, on: tx)
        }
        return organization
    }

    /// Sends a test e-mail to the current user and returns SendGrid's exact answer.
    static func sendTest(scope: TenantScope, app: Application, secrets: SecretBox, on db: any Database) async throws
        -> MailResult
    {
        try scope.require(.manageOrganization)
        guard let organization = try await Organization.find(scope.organizationId, on: db) else {
            throw AppError.notFound
        }
        guard let sealed = organization.sendgridKeySealed, let key = try? secrets.open(sealed) else {
            throw FieldErrors(["sendgrid_api_key": ["Renseignez d'abord la clé d'API SendGrid."]])
        }
        guard let from = organization.mailFrom else {
            throw FieldErrors(["mail_from": ["Renseignez d'abord l'adresse d'expéditeur (validée chez SendGrid)."]])
        }
        return await app.mailer.send(
            apiKey: key, from: from, to: [scope.userEmail], subject: "LeadHub : e-mail de test",
            text: "Bonjour,\n\nCet e-mail de test confirme que LeadHub peut vous écrire par SendGrid.\n\n— LeadHub")
    }

    /// Tells the organization's recipients (e-mail) and webhook that alerts opened.
    static func alertsOpened(_ alerts: [Alert], organizationId: UUID, app: Application) async {
        guard !alerts.isEmpty, let organization = try? await Organization.find(organizationId, on: app.db) else {
            return
        }
        let lines = alerts.map {
            "- [\(AlertLevel(rawValue: $0.level)?.label ?? $0.level)] \($0.message)\n  \($0.details)"
        }
        if let sealed = organization.sendgridKeySealed, let key = try? app.secretBox.open(sealed),
            let from = organization.mailFrom, !recipients(organization).isEmpty
        {
            let result = await app.mailer.send(
                apiKey: key, from: from, to: recipients(organization),
                subject: alerts.count == 1
                    ? "LeadHub — alerte : \(alerts[0].message)" : "LeadHub — \(alerts.count) nouvelles alertes",
                text: "Nouvelles alertes pour \(organization.name) :\n\n" + lines.joined(separator: "\n")
                    + "\n\nVoir : /alerts")
            if !result.accepted {
                app.logger.warning("alert e-mail refused by SendGrid: \(result.status ?? 0) \(result.body.prefix(200))")
            }
        }
        if let url = organization.notifyWebhookURL {
            let payload: [String: Any] = [
                "organization": organization.name,
                "alerts": alerts.map {
                    [
                        "id": $0.id!.uuidString.lowercased(), "level": $0.level, "category": $0.category,
                        "message": $0.message,
                        "details": $0.details,
                    ]
                },
            ]
            let body =
                (try? JSONSerialization.data(withJSONObject: payload)).map { String(decoding: $0, as: UTF8.self) }
                ?? "{}"
            let result = await app.crmTransport.send(
                OutgoingRequest(
                    url: url, headers: [("Content-Type", "application/json"), ("User-Agent", "LeadHub")], body: body,
                    timeout: 10))
            if case .answer(let status, _, _) = result, (200..<300).contains(status) { return }
            app.logger.warning("alert webhook not accepted: \(result)")
        }
    }
}

/// `/api/admin/notifications` and the settings page's form.
struct NotificationsController {
    @Sendable func show(req: Request) async throws -> NotificationService.DTO {
        let scope = try req.tenantScope()
        try scope.require(.manageOrganization)
        guard let organization = try await Organization.find(scope.organizationId, on: req.db) else {
            throw AppError.notFound
        }
        return NotificationService.dto(organization, secrets: req.application.secretBox)
    }

    @Sendable func patch(req: Request) async throws -> NotificationService.DTO {
        let organization = try await NotificationService.update(
            try req.content.decode(NotificationService.Input.self), secrets: req.application.secretBox,
            scope: try req.tenantScope(), now: req.now, on: req.db)
        return NotificationService.dto(organization, secrets: req.application.secretBox)
    }

    struct TestAnswer: Content {
        let accepted: Bool
        let status: Int?
        let body: String
    }

    @Sendable func test(req: Request) async throws -> TestAnswer {
        let result = try await NotificationService.sendTest(
            scope: try req.tenantScope(), app: req.application, secrets: req.application.secretBox, on: req.db)
        return TestAnswer(accepted: result.accepted, status: result.status, body: result.body)
    }

    @Sendable func post(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        var input = try req.content.decode(NotificationService.Input.self)
        // The key field is empty unless someone types a new key: empty keeps the saved one.
        if input.sendgridApiKey?.trimmingCharacters(in: .whitespaces).isEmpty == true { input.sendgridApiKey = nil }
        let changes = input
        switch try await attempt({
            try await NotificationService.update(
                changes, secrets: req.application.secretBox, scope: scope, now: req.now, on: req.db)
        }) {
        case .success: return req.redirect(to: "/settings", flash: "Réglages des notifications enregistrés.")
        case .failure(let errors):
            return req.redirect(to: "/settings", flash: errors.summary, error: true)
        }
    }

    @Sendable func postTest(req: Request) async throws -> Response {
        do {
            let result = try await NotificationService.sendTest(
                scope: try req.tenantScope(), app: req.application, secrets: req.application.secretBox, on: req.db)
            let answer = "SendGrid a répondu \(result.status.map(String.init) ?? "—") : \(result.body.prefix(500))"
            return req.redirect(
                to: "/settings",
                flash: (result.accepted ? "E-mail de test envoyé. " : "E-mail de test refusé. ") + answer,
                error: !result.accepted)
        } catch let errors as FieldErrors {
            return req.redirect(to: "/settings", flash: errors.summary, error: true)
        }
    }

    struct SummaryBody: Content { var kind: String? }

    struct SummaryAnswer: Content {
        let period: String
        let accepted: Bool
        let status: Int?
        let body: String
    }

    static func kind(_ raw: String?) throws -> SummaryPeriod.Kind {
        switch raw ?? "" {
        case "daily", "quotidien", "jour": return .daily
        case "weekly", "hebdomadaire", "semaine": return .weekly
        default: throw FieldErrors(["kind": ["Résumé inconnu : daily (la veille) ou weekly (la semaine dernière)."]])
        }
    }

    /// `POST /api/admin/notifications/summary {"kind": "daily"|"weekly"}` (admins).
    @Sendable func summary(req: Request) async throws -> SummaryAnswer {
        let kind = try Self.kind(try req.content.decode(SummaryBody.self).kind)
        let (period, result) = try await SummaryService.sendNow(
            kind, scope: try req.tenantScope(), app: req.application, now: req.now, on: req.db)
        return SummaryAnswer(period: period.key, accepted: result.accepted, status: result.status, body: result.body)
    }

    @Sendable func postSummary(req: Request) async throws -> Response {
        do {
            let kind = try Self.kind(try req.content.decode(SummaryBody.self).kind)
            let (period, result) = try await SummaryService.sendNow(
                kind, scope: try req.tenantScope(), app: req.application, now: req.now, on: req.db)
            let answer = "SendGrid a répondu \(result.status.map(String.init) ?? "—")."
            return req.redirect(
                to: "/settings",
                flash: (result.accepted
                    ? "Résumé \(period.kind == .daily ? "du" : "de la") \(period.label) envoyé. " : "Résumé refusé. ")
                    + answer, error: !result.accepted)
        } catch let errors as FieldErrors {
            return req.redirect(to: "/settings", flash: errors.summary, error: true)
        }
    }
}
