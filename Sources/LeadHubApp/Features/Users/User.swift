import Fluent
import Foundation
import LeadHubCore

final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "email") var email: String
    @Field(key: "name") var name: String
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "role") var roleRaw: String
    @Field(key: "crm_ids") var crmIdsJSON: String
    @Field(key: "account_ids") var accountIdsJSON: String
    @Field(key: "active") var active: Bool
    @OptionalField(key: "last_login_at") var lastLoginAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, organizationId: UUID, email: String, name: String, passwordHash: String, role: Role) {
        self.id = id
        self.organizationId = organizationId
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.roleRaw = role.rawValue
        self.crmIdsJSON = "[]"
        self.accountIdsJSON = "[]"
        self.active = true
    }

    var role: Role {
        get { Role(rawValue: roleRaw) ?? .viewer }
        set { roleRaw = newValue.rawValue }
    }

    var crmIds: [UUID] {
        get { JSONText.decode([UUID].self, from: crmIdsJSON, default: []) }
        set { crmIdsJSON = JSONText.encode(newValue) }
    }

    var accountIds: [UUID] {
        get { JSONText.decode([UUID].self, from: accountIdsJSON, default: []) }
        set { accountIdsJSON = JSONText.encode(newValue) }
    }

    var restriction: AccessRestriction {
        AccessRestriction(crmIds: Set(crmIds), accountIds: Set(accountIds))
    }
}
