import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// Daily and weekly summary e-mails: leads per CRM, account and product, delivery success and the
/// open alerts, sent on the Europe/Paris schedule of `SummarySchedule` to the alert recipients.
enum SummaryService {
    static func compose(_ period: SummaryPeriod, organization: Organization, on db: any Database) async throws -> String
    {
        let sql = db as! any SQLDatabase
        let orgId = try organization.requireID()
        func grouped(_ column: String) async throws -> [(String?, Int)] {
            try await sql.select().column(SQLIdentifier(column)).column(
                SQLFunction("count", args: SQLLiteral.all), as: "n"
            )
            .from("leads").where("organization_id", .equal, orgId)
            .where("created_at", .greaterThanOrEqual, period.start).where("created_at", .lessThan, period.end)
            .groupBy(SQLIdentifier(column)).all()
            .map { row in
                // PostgreSQL returns uuid columns as UUIDs, SQLite as text.
                let key =
                    (try? row.decode(column: column, as: String?.self))
                    ?? (try? row.decode(column: column, as: UUID?.self))?.map(\.uuidString)
                return (key ?? nil, try row.decode(column: "n", as: Int.self))
            }
        }
        let crms = Dictionary(
            uniqueKeysWithValues: try await Crm.query(on: db).filter(\.$organizationId == orgId).all().map {
                ($0.id!.uuidString, $0.name)
            })
        let accounts = Dictionary(
            uniqueKeysWithValues: try await Account.query(on: db).filter(\.$organizationId == orgId).all().map {
                ($0.id!.uuidString, $0.name)
            })
        func name(_ id: String?, in names: [String: String]) -> String {
            id.flatMap { names[$0.uppercased()] ?? names[$0] } ?? "—"
        }
        let byStatus = try await grouped("status")
        let total = byStatus.reduce(0) { $0 + $1.1 }
        let duplicates = byStatus.first { $0.0 == LeadStatus.duplicate.rawValue }?.1 ?? 0
        var lines = ["Résumé \(period.kind == .daily ? "du" : "de la") \(period.label) — \(organization.name)", ""]
        lines.append("Leads reçus : \(FrenchFormat.integer(total)) (dont \(FrenchFormat.integer(duplicates)) doublons)")
        for (title, column, names) in [
            ("Par CRM destinataire", "routed_crm_id", crms), ("Par compte", "account_id", accounts),
            ("Par produit", "product_type", [:]),
        ] {
            let rows = try await grouped(column).sorted { $0.1 > $1.1 }
            guard !rows.isEmpty else { continue }
            lines.append("")
            lines.append(title + " :")
            for (key, count) in rows {
                lines.append(
                    "  - \(names.isEmpty ? (key ?? "—") : name(key, in: names)) : \(FrenchFormat.integer(count))")
            }
        }
        let (tried, good) = try await DeliveryService.attemptCounts(
            organizationId: orgId, from: period.start, to: period.end, on: db)
        lines.append("")
        lines.append(
            tried == 0
                ? "Livraisons : aucune tentative."
                : "Livraisons : \(FrenchFormat.integer(good)) réussies sur \(FrenchFormat.integer(tried)) tentatives (\(Int((Double(good) / Double(tried) * 100).rounded())) %)."
        )
        let open = try await Alert.query(on: db).filter(\.$organizationId == orgId).filter(\.$resolvedAt == nil).all()
        lines.append("")
        lines.append(open.isEmpty ? "Aucune alerte en cours." : "Alertes en cours (\(open.count)) :")
        for alert in open { lines.append("  - \(alert.message)") }
        return lines.joined(separator: "\n")
    }

    /// "Envoyer le résumé maintenant" (admins): yesterday's or last week's summary, to the alert
    /// recipients, at once; the schedule is not changed. Returns SendGrid's answer.
    static func sendNow(
        _ kind: SummaryPeriod.Kind, scope: TenantScope, app: Application, now: Date, on db: any Database
    ) async throws -> (SummaryPeriod, MailResult) {
        try scope.require(.manageOrganization)
        guard let organization = try await Organization.find(scope.organizationId, on: db) else {
            throw AppError.notFound
        }
        guard let sealed = organization.sendgridKeySealed, let key = try? app.secretBox.open(sealed) else {
            throw FieldErrors(["sendgrid_api_key": ["Renseignez d'abord la clé d'API SendGrid."]])
        }
        guard let from = organization.mailFrom else {
            throw FieldErrors(["mail_from": ["Renseignez d'abord l'adresse d'expéditeur (validée chez SendGrid)."]])
        }
        let recipients = NotificationService.recipients(organization)
        guard !recipients.isEmpty else {
            throw FieldErrors(["alert_emails": ["Renseignez d'abord les destinataires des alertes et des résumés."]])
        }
        let period = SummarySchedule.latest(kind, now: now)
        let text = try await compose(period, organization: organization, on: db)
        let subject = "LeadHub — résumé \(period.kind == .daily ? "du" : "de la") \(period.label)"
        let result = await app.mailer.send(apiKey: key, from: from, to: recipients, subject: subject, text: text)
        try await ActivityService.record(
            .update, objectType: "organization", objectId: organization.id,
            summary: "Résumé \(period.kind == .daily ? "du" : "de la") \(period.label) envoyé à la demande"
                + (result.accepted ? "" : " (refusé par SendGrid : \(result.status.map(String.init) ?? "—"))"),
            scope: scope, at: now, on: db)
        return (period, result)
    }

    /// Marks `period` as the organization's last summary of its kind unless it already is; true when
    /// this call made the change (and so must send it).
    static func claim(_ period: SummaryPeriod, organizationId: UUID, on db: any Database) async throws -> Bool {
        let column = period.kind == .daily ? "last_daily_summary" : "last_weekly_summary"
        let rows = try await (db as! any SQLDatabase).update("organizations")
            .set(SQLIdentifier(column), to: SQLBind(period.key))
            .where("id", .equal, organizationId)
            .where(
                SQLGroupExpression(
                    SQLBinaryExpression(
                        SQLBinaryExpression(SQLIdentifier(column), .is, SQLLiteral.null), .or,
                        SQLBinaryExpression(SQLIdentifier(column), .notEqual, SQLBind(period.key))))
            )
            .returning("id")
            .all()
        return !rows.isEmpty
    }

    /// Sends what is due for every organization with SendGrid and recipients set.
    static func sendDue(app: Application) async throws {
        let now = app.clock.now()
        for organization in try await Organization.query(on: app.db).all() {
            guard let sealed = organization.sendgridKeySealed, let key = try? app.secretBox.open(sealed),
                let from = organization.mailFrom
            else { continue }
            let recipients = NotificationService.recipients(organization)
            guard !recipients.isEmpty else { continue }
            for period in SummarySchedule.due(
                now: now, lastDaily: organization.lastDailySummary, lastWeekly: organization.lastWeeklySummary,
                hour: app.config.summaryHour)
            {
                // Marked before it is sent, by one conditional update: of several servers sharing the
                // database, only the one whose update changed the row sends it.
                guard try await claim(period, organizationId: try organization.requireID(), on: app.db) else {
                    continue
                }
                let text = try await compose(period, organization: organization, on: app.db)
                let subject = "LeadHub — résumé \(period.kind == .daily ? "du" : "de la") \(period.label)"
                let result = await app.mailer.send(
                    apiKey: key, from: from, to: recipients, subject: subject, text: text)
                if result.accepted {
                    app.logger.info("summary \(period.key) sent to \(recipients.count) recipient(s)")
                } else {
                    // Not sent again: a refused key should not send the same summary every minute.
                    app.logger.warning(
                        "summary e-mail refused by SendGrid: \(result.status ?? 0) \(result.body.prefix(200))")
                }
                // Its outcome, for the admins (the activity log of the organization).
                try await ActivityService.record(
                    .update, organizationId: try organization.requireID(), userId: nil, userEmail: nil,
                    objectType: "organization", objectId: organization.id,
                    summary: "Résumé \(period.kind == .daily ? "du" : "de la") \(period.label) "
                        + (result.accepted
                            ? "envoyé à \(recipients.count) destinataire(s)"
                            : "refusé par SendGrid (\(result.status.map(String.init) ?? "pas de réponse")), non renvoyé"),
                    ip: nil, at: now, on: app.db)
            }
        }
    }
}
