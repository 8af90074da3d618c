import Fluent
import Foundation
import LeadHubCore

enum OrganizationService {
    /// Creates an organization with its default product types (PV, PAC, ITE).
    static func create(name: String, on db: any Database) async throws -> Organization {
        var errors = FieldErrors()
        let clean = Check.requiredText(name, field: "name", max: 100, errors: &errors)
        try errors.throwIfAny()
        var slug = Slug.make(clean)
        if slug.isEmpty { slug = "organisation" }
        let base = slug
        var suffix = 2
        while try await Organization.query(on: db).filter(\.$slug == slug).count() > 0 {
            slug = "\(base)-\(suffix)"
            suffix += 1
        }
        let organization = Organization(name: clean, slug: slug)
        try await db.transaction { tx in
            try await organization.create(on: tx)
            try await ProductTypeService.seedDefaults(organizationId: organization.requireID(), on: tx)
        }
        return organization
    }

    /// An organization by id or by exact name (case-insensitive).
    static func find(idOrName: String, on db: any Database) async throws -> Organization? {
        if let id = UUID(uuidString: idOrName), let found = try await Organization.find(id, on: db) { return found }
        let wanted = idOrName.trimmingCharacters(in: .whitespaces).lowercased()
        return try await Organization.query(on: db).all().first { $0.name.lowercased() == wanted }
    }
}
