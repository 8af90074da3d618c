import Fluent
import Foundation
import LeadHubCore
import Vapor

/// Organization-wide settings (admins): for now the duplicate window of lead intake.
enum OrganizationSettings {
    struct Input: Content {
        /// Empty or null: the same calendar day (Europe/Paris); otherwise 1 to 720 hours.
        var duplicateWindowHours: String?

        enum CodingKeys: String, CodingKey { case duplicateWindowHours = "duplicate_window_hours" }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            duplicateWindowHours = try c.text(.duplicateWindowHours)
        }
    }

    struct DTO: Content {
        let id: UUID
        let name: String
        let duplicateWindowHours: Int?
        /// The public id that names the organization in the tracking script, events and links.
        let slug: String

        enum CodingKeys: String, CodingKey {
            case id, name, duplicateWindowHours = "duplicate_window_hours", slug = "tracking_id"
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
        try await db.transaction { tx in
            try await organization.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "organization", objectId: organization.id,
                summary: "Fenêtre des doublons : "
                    + (organization.duplicateWindowHours.map { "\($0) h" } ?? "le même jour (heure de Paris)"),
                scope: scope, at: now, on: tx)
        }
        return organization
    }

    static func dto(_ organization: Organization) -> DTO {
        DTO(
            id: organization.id!, name: organization.name, duplicateWindowHours: organization.duplicateWindowHours,
            slug: organization.slug)
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
