import Fluent
import Foundation
import LeadHubCore
import Vapor

/// PageComment threads on LPs and forms. Anyone who can edit may comment; authors and admins may delete.
enum CommentService {
    static func list(target: UUID, scope: TenantScope, on db: any Database) async throws -> [PageComment] {
        try await scope.query(PageComment.self, on: db).filter(\.$targetId == target).sort(\.$createdAt).all()
    }

    static func add(
        _ raw: String?, targetType: String, targetId: UUID, label: String, user: User?, scope: TenantScope, now: Date,
        on db: any Database
    ) async throws -> PageComment {
        try scope.require(.edit)
        var errors = FieldErrors()
        let text = Check.requiredText(raw, field: "body", max: 5_000, errors: &errors)
        try errors.throwIfAny()
        let comment = PageComment()
        comment.organizationId = scope.organizationId
        comment.targetType = targetType
        comment.targetId = targetId
        comment.userId = scope.userId
        comment.userName = user?.name ?? scope.userEmail
        comment.body = text
        comment.createdAt = now
        try await db.transaction { tx in
            try await comment.create(on: tx)
            try await ActivityService.record(
                .create, objectType: targetType, objectId: targetId, summary: "Commentaire ajouté sur \(label)",
                scope: scope,
                at: now, on: tx)
        }
        return comment
    }

    static func delete(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws {
        let comment = try await scope.find(PageComment.self, id, on: db)
        guard comment.userId == scope.userId || scope.role == .admin else { throw AppError.forbidden() }
        try await comment.delete(on: db)
    }
}

struct CommentDTO: Content {
    let id: UUID
    let organizationId: UUID
    let targetType: String
    let targetId: UUID
    let userId: UUID?
    let userName: String
    let body: String
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, organizationId = "organization_id", targetType = "target_type", targetId = "target_id"
        case userId = "user_id", userName = "user_name", body, createdAt = "created_at"
    }

    init(_ c: PageComment) {
        id = c.id!
        organizationId = c.organizationId
        targetType = c.targetType
        targetId = c.targetId
        userId = c.userId
        userName = c.userName
        body = c.body
        createdAt = c.createdAt
    }
}
