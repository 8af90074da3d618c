import Fluent
import Foundation
import LeadHubCore

/// What a lead is about: PV, PAC, ITE… with the aids shown to prospects and the fields a lead needs.
final class ProductType: Model, @unchecked Sendable {
    static let schema = "product_types"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "code") var code: String
    @Field(key: "label") var label: String
    @OptionalField(key: "aid_amount_text") var aidAmountText: String?
    @Field(key: "aids") var aidsJSON: String
    @Field(key: "required_fields") var requiredFieldsJSON: String
    @Field(key: "active") var active: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    var aids: [String] {
        get { JSONText.decode([String].self, from: aidsJSON, default: []) }
        set { aidsJSON = JSONText.encode(newValue) }
    }

    var requiredFields: [String] {
        get { JSONText.decode([String].self, from: requiredFieldsJSON, default: []) }
        set { requiredFieldsJSON = JSONText.encode(newValue) }
    }
}
