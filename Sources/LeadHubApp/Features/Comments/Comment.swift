import Fluent
import Foundation

/// A note left by a teammate on an LP or a form.
final class PageComment: Model, @unchecked Sendable {
    static let schema = "comments"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "target_type") var targetType: String
    @Field(key: "target_id") var targetId: UUID
    @OptionalField(key: "user_id") var userId: UUID?
    @Field(key: "user_name") var userName: String
    @Field(key: "body") var body: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
