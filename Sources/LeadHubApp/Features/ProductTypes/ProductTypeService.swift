import Fluent
import Foundation
import LeadHubCore
import Vapor

struct ProductTypeInput: Decodable {
    var code: String?
    var label: String?
    var aidAmountText: String?
    var aids: [String]?
    var requiredFields: [String]?
    var active: Bool?

    enum CodingKeys: String, CodingKey {
        case code, label, aids, active
        case aidAmountText = "aid_amount_text", requiredFields = "required_fields"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.text(.code)
        label = try c.text(.label)
        aidAmountText = try c.text(.aidAmountText)
        aids = try c.list(.aids)
        requiredFields = try c.list(.requiredFields)
        active = try c.flag(.active)
    }
}

enum ProductTypeService {
    static let sortable = ["code": "code", "label": "label", "created": "created_at"]

    static func filtered(_ params: ListParams, scope: TenantScope, on db: any Database) -> QueryBuilder<ProductType> {
        scope.query(ProductType.self, on: db).search(params.search, in: ["code", "label"])
    }

    /// PV, PAC and ITE for a new organization.
    static func seedDefaults(organizationId: UUID, on db: any Database) async throws {
        for seed in ProductTypeDefaults.all {
            let product = ProductType()
            product.organizationId = organizationId
            product.code = seed.code
            product.label = seed.label
            product.aidAmountText = seed.aidAmountText
            product.aids = seed.aids
            product.requiredFields = seed.requiredFields.map(\.rawValue)
            product.active = true
            try await product.create(on: db)
        }
    }

    static func create(_ input: ProductTypeInput, scope: TenantScope, now: Date, on db: any Database) async throws
        -> ProductType
    {
        try scope.require(.edit)
        let product = ProductType()
        product.organizationId = scope.organizationId
        product.active = true
        product.aids = []
        product.requiredFields = [LeadField.phone.rawValue]
        try await apply(input, to: product, creating: true, scope: scope, on: db)
        try await db.transaction { tx in
            try await product.create(on: tx)
            try await ActivityService.record(
                .create, objectType: "product_type", objectId: product.id,
                summary: "Type de produit « \(product.code) » créé", scope: scope, at: now, on: tx)
        }
        return product
    }

    static func update(_ id: UUID?, _ input: ProductTypeInput, scope: TenantScope, now: Date, on db: any Database)
        async throws -> ProductType
    {
        let product = try await scope.find(ProductType.self, id, on: db)
        try scope.require(.edit)
        try await apply(input, to: product, creating: false, scope: scope, on: db)
        try await db.transaction { tx in
            try await product.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "product_type", objectId: product.id,
                summary: "Type de produit « \(product.code) » modifié", scope: scope, at: now, on: tx)
        }
        return product
    }

    static func delete(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws {
        let product = try await scope.find(ProductType.self, id, on: db)
        try scope.require(.edit)
        let accounts = try await scope.query(Account.self, on: db).all()
            .filter { $0.productTypes.contains(product.code) }.count
        if accounts > 0 {
            throw AppError.conflict(
                field: nil,
                message: "\(accounts) compte(s) proposent encore « \(product.code) » : désactivez-le plutôt.")
        }
        try await db.transaction { tx in
            try await product.delete(on: tx)
            try await ActivityService.record(
                .delete, objectType: "product_type", objectId: product.id,
                summary: "Type de produit « \(product.code) » supprimé", scope: scope, at: now, on: tx)
        }
    }

    private static func apply(
        _ input: ProductTypeInput, to product: ProductType, creating: Bool, scope: TenantScope, on db: any Database
    ) async throws {
        var errors = FieldErrors()
        if creating || input.code != nil {
            let code = (input.code ?? "").trimmingCharacters(in: .whitespaces).uppercased()
            if code.isEmpty {
                errors.add("code", "Ce champ est obligatoire.")
            } else if !ProductTypeDefaults.isValidCode(code) {
                errors.add("code", "Code invalide : 2 à 10 lettres majuscules ou chiffres (ex. « PV »).")
            } else if !creating && code != product.code {
                errors.add("code", "Le code d'un type de produit ne change pas : il sert de référence aux formulaires.")
            }
            if creating { product.code = code }
        }
        if creating || input.label != nil {
            product.label = Check.requiredText(input.label, field: "label", max: 150, errors: &errors)
        }
        if input.aidAmountText != nil {
            product.aidAmountText = Check.optionalText(
                input.aidAmountText, field: "aid_amount_text", max: 300, errors: &errors)
        }
        if let aids = input.aids {
            if aids.count > 30 || aids.contains(where: { $0.count > 100 }) {
                errors.add("aids", "30 aides au plus, de 100 caractères chacune.")
            }
            product.aids = aids
        }
        if let fields = input.requiredFields {
            var list: [String] = []
            for raw in fields {
                let name = raw.lowercased()
                if LeadField(rawValue: name) == nil {
                    errors.add("required_fields", "Champ de lead inconnu : \(raw).")
                } else if !list.contains(name) {
                    list.append(name)
                }
            }
            if !list.contains(LeadField.phone.rawValue) { list.insert(LeadField.phone.rawValue, at: 0) }
            product.requiredFields = list
        }
        if let active = input.active { product.active = active }
        try errors.throwIfAny()
        if creating {
            let taken = try await ProductType.query(on: db).filter(\.$organizationId == scope.organizationId)
                .filter(\.$code == product.code).count()
            if taken > 0 {
                throw AppError.conflict(field: "code", message: "Le code « \(product.code) » existe déjà.")
            }
        }
    }
}

struct ProductTypeDTO: Content {
    let id: UUID
    let organizationId: UUID
    let code: String
    let label: String
    let aidAmountText: String?
    let aids: [String]
    let requiredFields: [String]
    let active: Bool
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, organizationId = "organization_id", code, label, aidAmountText = "aid_amount_text", aids
        case requiredFields = "required_fields", active, createdAt = "created_at", updatedAt = "updated_at"
    }

    init(_ p: ProductType) {
        id = p.id!
        organizationId = p.organizationId
        code = p.code
        label = p.label
        aidAmountText = p.aidAmountText
        aids = p.aids
        requiredFields = p.requiredFields
        active = p.active
        createdAt = p.createdAt
        updatedAt = p.updatedAt
    }
}
