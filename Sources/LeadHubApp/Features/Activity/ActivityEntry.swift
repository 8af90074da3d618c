import Fluent
import Foundation

/// One line of the activity log: who did what, to which object, when.
final class ActivityEntry: Model, @unchecked Sendable {
    static let schema = "activity_log"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @OptionalField(key: "user_id") var userId: UUID?
    @OptionalField(key: "user_email") var userEmail: String?
    @Field(key: "action") var action: String
    @OptionalField(key: "object_type") var objectType: String?
    @OptionalField(key: "object_id") var objectId: UUID?
    @Field(key: "summary") var summary: String
    @OptionalField(key: "ip") var ip: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
