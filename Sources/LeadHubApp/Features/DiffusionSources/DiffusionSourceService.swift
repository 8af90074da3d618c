import Fluent
import Foundation
import LeadHubCore
import Vapor

struct DiffusionSourceInput: Decodable {
    var name: String?
    var category: String?
    var active: Bool?

    enum CodingKeys: String, CodingKey { case name, category, active }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.text(.name)
        category = try c.text(.category)
        active = try c.flag(.active)
    }
}

enum DiffusionSourceService {
    static let sortable = ["name": "name", "category": "category", "created": "created_at"]

    static func filtered(_ params: ListParams, scope: TenantScope, on db: any Database) -> QueryBuilder<DiffusionSource>
    {
        scope.query(DiffusionSource.self, on: db).search(params.search, in: ["name", "category"])
    }

    static func create(_ input: DiffusionSourceInput, scope: TenantScope, now: Date, on db: any Database) async throws
        -> DiffusionSource
    {
        try scope.require(.edit)
        let source = DiffusionSource()
        source.organizationId = scope.organizationId
        source.active = true
        try await apply(input, to: source, creating: true, scope: scope, on: db)
        try await db.transaction { tx in
            try await source.create(on: tx)
            try await ActivityService.record(
                .create, objectType: "diffusion_source", objectId: source.id,
                summary: "Source de diffusion « \(source.name) » créée", scope: scope, at: now, on: tx)
        }
        return source
    }

    static func update(_ id: UUID?, _ input: DiffusionSourceInput, scope: TenantScope, now: Date, on db: any Database)
        async throws -> DiffusionSource
    {
        let source = try await scope.find(DiffusionSource.self, id, on: db)
        try scope.require(.edit)
        try await apply(input, to: source, creating: false, scope: scope, on: db)
        try await db.transaction { tx in
            try await source.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "diffusion_source", objectId: source.id,
                summary: "Source de diffusion « \(source.name) » modifiée", scope: scope, at: now, on: tx)
        }
        return source
    }

    static func delete(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws {
        let source = try await scope.find(DiffusionSource.self, id, on: db)
        try scope.require(.edit)
        try await db.transaction { tx in
            try await source.delete(on: tx)
            try await ActivityService.record(
                .delete, objectType: "diffusion_source", objectId: source.id,
                summary: "Source de diffusion « \(source.name) » supprimée", scope: scope, at: now, on: tx)
        }
    }

    private static func apply(
        _ input: DiffusionSourceInput, to source: DiffusionSource, creating: Bool, scope: TenantScope,
        on db: any Database
    ) async throws {
        var errors = FieldErrors()
        if creating || input.name != nil {
            source.name = Check.requiredText(input.name, field: "name", max: 100, errors: &errors)
        }
        if creating || input.category != nil {
            let raw = (input.category ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            if let category = DiffusionCategory(rawValue: raw.isEmpty ? "other" : raw) {
                source.category = category
            } else {
                errors.add("category", "Catégorie inconnue : choisissez native, google, facebook, tiktok ou other.")
            }
        }
        if let active = input.active { source.active = active }
        try errors.throwIfAny()
        var taken = DiffusionSource.query(on: db).filter(\.$organizationId == scope.organizationId)
            .filter(\.$name == source.name)
        if let id = source.id { taken = taken.filter(\.$id != id) }
        if try await taken.count() > 0 {
            throw AppError.conflict(field: "name", message: "Une source s'appelle déjà « \(source.name) ».")
        }
    }
}

struct DiffusionSourceDTO: Content {
    let id: UUID
    let organizationId: UUID
    let name: String
    let category: String
    let active: Bool
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, organizationId = "organization_id", name, category, active
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    init(_ s: DiffusionSource) {
        id = s.id!
        organizationId = s.organizationId
        name = s.name
        category = s.categoryRaw
        active = s.active
        createdAt = s.createdAt
        updatedAt = s.updatedAt
    }
}
