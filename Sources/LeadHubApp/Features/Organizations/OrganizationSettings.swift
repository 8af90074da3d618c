import Fluent
import Foundation
import LeadHubCore
import Vapor

/// Organization-wide settings (admins): the duplicate window and the intake policy (keep or
/// refuse leads with errors, quality thresholds, consent gate, suspect address ranges).
enum OrganizationSettings {
    struct Input: Decodable, Sendable {
        /// Empty or null: the same calendar day (Europe/Paris); otherwise 1 to 720 hours.
        var duplicateWindowHours: String?
        var intakeStrict: Bool?
        var requirePhoneConsent: Bool?
        /// Empty: the default (40 and 70).
        var qualityHoldThreshold: String?
        var qualityRejectThreshold: String?
        /// One CIDR range per line (or separated by commas).
        var suspectIPRanges: [String]?
        /// Returns: days after delivery (1–90, empty: 7) and the monthly cap per CRM (1–100 %, empty: 15).
        var returnWindowDays: String?
        var returnCapPercent: String?

        enum CodingKeys: String, CodingKey {
            case duplicateWindowHours = "duplicate_window_hours", intakeStrict = "intake_strict"
            case requirePhoneConsent = "require_phone_consent", qualityHoldThreshold = "quality_hold_threshold"
            case qualityRejectThreshold = "quality_reject_threshold", suspectIPRanges = "suspect_ip_ranges"
            case returnWindowDays = "return_window_days", returnCapPercent = "return_cap_percent"
            /// The settings page's intake form: its unchecked boxes are sent as nothing, so this marker
            /// says they mean "off".
            case intakeForm = "intake_form"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            duplicateWindowHours = try c.text(.duplicateWindowHours)
            let form = try c.flag(.intakeForm) ?? false
            intakeStrict = try c.flag(.intakeStrict) ?? (form ? false : nil)
            requirePhoneConsent = try c.flag(.requirePhoneConsent) ?? (form ? false : nil)
            qualityHoldThreshold = try c.text(.qualityHoldThreshold)
            qualityRejectThreshold = try c.text(.qualityRejectThreshold)
            suspectIPRanges = try c.list(.suspectIPRanges)
            returnWindowDays = try c.text(.returnWindowDays)
            returnCapPercent = try c.text(.returnCapPercent)
        }
    }

    struct DTO: Content {
        let id: UUID
        let name: String
        let duplicateWindowHours: Int?
        /// The public id that names the organization in the tracking script, events and links.
        let slug: String
        let intakeStrict: Bool
        let requirePhoneConsent: Bool
        let qualityHoldThreshold: Int
        let qualityRejectThreshold: Int
        let suspectIPRanges: [String]
        let returnWindowDays: Int
        let returnCapPercent: Int

        enum CodingKeys: String, CodingKey {
            case returnWindowDays = "return_window_days", returnCapPercent = "return_cap_percent"
            case id, name, duplicateWindowHours = "duplicate_window_hours", slug = "tracking_id"
            case intakeStrict = "intake_strict", requirePhoneConsent = "require_phone_consent"
            case qualityHoldThreshold = "quality_hold_threshold", qualityRejectThreshold = "quality_reject_threshold"
            case suspectIPRanges = "suspect_ip_ranges"
        }
    }

    static func update(_ input: Input, scope: TenantScope, now: Date, on db: any Database) async throws -> Organization
    {
        try scope.require(.manageOrganization)
        guard let organization = try await Organization.find(scope.organizationId, on: db) else {
            throw AppError.notFound
        }
        if let raw = input.duplicateWindowHours?.trimmingCharacters(in: .whitespaces) {
            if raw.isEmpty {
                organization.duplicateWindowHours = nil
            } else if let hours = Int(raw), (1...720).contains(hours) {
                organization.duplicateWindowHours = hours
            } else {
                throw FieldErrors([
                    "duplicate_window_hours": ["Durée invalide : de 1 à 720 heures, ou vide pour « le même jour »."]
                ])
            }
        }
        var errors = FieldErrors()
        /// Absent: keep (`.none`); empty: the default (`.some(nil)`); else a number in `range`.
        func bounded(_ raw: String?, field: String, range: ClosedRange<Int>, message: String) -> Int?? {
            guard let raw = raw?.trimmingCharacters(in: .whitespaces) else { return .none }
            if raw.isEmpty { return .some(nil) }
            guard let value = Int(raw), range.contains(value) else {
                errors.add(field, message)
                return .none
            }
            return .some(value)
        }
        let thresholdMessage = "Seuil invalide : un score de 1 à 100, ou vide pour la valeur par défaut."
        if let hold = bounded(
            input.qualityHoldThreshold, field: "quality_hold_threshold", range: 1...100, message: thresholdMessage)
        {
            organization.qualityHoldThreshold = hold
        }
        if let reject = bounded(
            input.qualityRejectThreshold, field: "quality_reject_threshold", range: 1...100, message: thresholdMessage)
        {
            organization.qualityRejectThreshold = reject
        }
        let policy = organization.intakePolicy
        if errors.isEmpty, policy.rejectThreshold <= policy.holdThreshold {
            errors.add(
                "quality_reject_threshold",
                "Le seuil de rejet (\(policy.rejectThreshold)) doit dépasser le seuil de vérification (\(policy.holdThreshold))."
            )
        }
        if let ranges = input.suspectIPRanges {
            let wrong = ranges.filter { IPRange($0) == nil }
            if !wrong.isEmpty {
                errors.add(
                    "suspect_ip_ranges",
                    "Plage invalide : \(wrong.prefix(3).joined(separator: ", ")) (ex. 203.0.113.0/24 ou 2001:db8::/32)."
                )
            } else if ranges.count > 500 {
                errors.add("suspect_ip_ranges", "500 plages au plus.")
            } else {
                organization.suspectIPRanges = ranges.isEmpty ? nil : ranges.joined(separator: "\n")
            }
        }
        if let days = bounded(
            input.returnWindowDays, field: "return_window_days", range: 1...90,
            message: "Délai invalide : de 1 à 90 jours, ou vide pour 7 jours.")
        {
            organization.returnWindowDays = days
        }
        if let cap = bounded(
            input.returnCapPercent, field: "return_cap_percent", range: 1...100,
            message: "Plafond invalide : de 1 à 100 %, ou vide pour 15 %.")
        {
            organization.returnCapPercent = cap
        }
        if let strict = input.intakeStrict { organization.intakeStrict = strict }
        if let consent = input.requirePhoneConsent { organization.requirePhoneConsent = consent }
        try errors.throwIfAny()
        let final = organization.intakePolicy
        let summary =
            "Fenêtre des doublons : "
            + (organization.duplicateWindowHours.map { "\($0) h" } ?? "le même jour (heure de Paris)")
            + " ; leads avec erreurs : " + (final.strict ? "refusés (422)" : "conservés à vérifier")
            + " ; qualité : vérification dès \(final.holdThreshold), rejet dès \(final.rejectThreshold)"
            + " ; consentement téléphonique " + (final.requirePhoneConsent ? "exigé" : "non exigé")
            + (final.suspectRanges.isEmpty ? "" : " ; \(final.suspectRanges.count) plage(s) d'adresses suspectes")
            + " ; retours sous \(organization.returnWindowDays ?? ReturnRules.defaultWindowDays) jours, plafond \(organization.returnCapPercent ?? ReturnRules.defaultCapPercent) %"
        try await db.transaction { tx in
            try await organization.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "organization", objectId: organization.id, summary: summary, scope: scope,
                at: now, on: tx)
        }
        return organization
    }

    static func dto(_ organization: Organization) -> DTO {
        DTO(
            id: organization.id!, name: organization.name, duplicateWindowHours: organization.duplicateWindowHours,
            slug: organization.slug, intakeStrict: organization.intakePolicy.strict,
            requirePhoneConsent: organization.intakePolicy.requirePhoneConsent,
            qualityHoldThreshold: organization.intakePolicy.holdThreshold,
            qualityRejectThreshold: organization.intakePolicy.rejectThreshold,
            suspectIPRanges: (organization.suspectIPRanges ?? "").split(whereSeparator: \.isNewline).map(String.init),
            returnWindowDays: organization.returnWindowDays ?? ReturnRules.defaultWindowDays,
            returnCapPercent: organization.returnCapPercent ?? ReturnRules.defaultCapPercent)
    }

    @Sendable static func show(req: Request) async throws -> DTO {
        let scope = try req.tenantScope()
        guard let organization = try await Organization.find(scope.organizationId, on: req.db) else {
            throw AppError.notFound
        }
        return dto(organization)
    }

    @Sendable static func patch(req: Request) async throws -> DTO {
        dto(
            try await update(try req.content.decode(Input.self), scope: try req.tenantScope(), now: req.now, on: req.db)
        )
    }

    @Sendable static func post(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        switch try await attempt({
            try await update(try req.content.decode(Input.self), scope: scope, now: req.now, on: req.db)
        }) {
        case .success: return req.redirect(to: "/settings", flash: "Réglages de l'organisation enregistrés.")
        case .failure(let errors):
            return req.redirect(to: "/settings", flash: errors.summary, error: true)
        }
    }
}
