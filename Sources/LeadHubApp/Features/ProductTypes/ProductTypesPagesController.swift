import Fluent
import LeadHubCore
import Vapor

struct ProductTypesPagesController {
    struct Row: Encodable {
        let id: String
        let code: String
        let label: String
        let aidAmountText: String?
        let aids: [String]
        let requiredFields: [String]
        let active: Bool
    }

    struct IndexContext: Encodable {
        let rows: [Row]
        let list: ListChrome
        let canEdit: Bool
    }

    struct FormValues: Encodable {
        var code = ""
        var label = ""
        var aidAmountText = ""
        var aids = ""
        var requiredFields: [String] = ["phone"]
        var active = true
    }

    struct FieldChoice: Encodable {
        let name: String
        let label: String
        let checked: Bool
        let locked: Bool
    }

    struct FormContext: Encodable {
        let isNew: Bool
        let action: String
        let deleteAction: String?
        let values: FormValues
        let errors: FormErrors
        let fields: [FieldChoice]
        let canEdit: Bool
    }

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        let column = ProductTypeService.sortable[params.sort ?? "code"] ?? "code"
        let (products, window) = try await ProductTypeService.filtered(params, scope: scope, on: req.db)
            .sort(FieldKey(stringLiteral: column), params.descending ? .descending : .ascending)
            .numberedPage(params)
        let rows = products.map {
            Row(
                id: $0.id!.uuidString, code: $0.code, label: $0.label, aidAmountText: $0.aidAmountText, aids: $0.aids,
                requiredFields: $0.requiredFields.map { LeadField(rawValue: $0)?.label ?? $0 }, active: $0.active)
        }
        let list = ListChrome(
            path: "/product-types", params: params, window: window,
            columns: [("Code", "code"), ("Libellé", "label"), ("Aides", nil), ("Champs requis", nil), ("État", nil)],
            currentSort: params.sort ?? "code")
        return try await req.renderPage(
            "product-types/index", title: "Types de produit",
            IndexContext(rows: rows, list: list, canEdit: scope.role.allows(.edit)))
    }

    @Sendable func new(req: Request) async throws -> Response {
        try req.tenantScope().require(.edit)
        return try await renderForm(req, product: nil, values: FormValues(), errors: nil)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        var input = try req.content.decode(ProductTypeInput.self)
        input.active = input.active ?? false
        input.requiredFields = input.requiredFields ?? []
        switch try await attempt({ try await ProductTypeService.create(input, scope: scope, now: req.now, on: req.db) })
        {
        case .success(let product):
            return req.redirect(to: "/product-types", flash: "Type de produit « \(product.code) » créé.")
        case .failure(let errors): return try await renderForm(req, product: nil, values: values(input), errors: errors)
        }
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let product = try await scope.find(ProductType.self, req.id("product_type_id"), on: req.db)
        let values = FormValues(
            code: product.code, label: product.label, aidAmountText: product.aidAmountText ?? "",
            aids: product.aids.joined(separator: "\n"), requiredFields: product.requiredFields, active: product.active)
        return try await renderForm(req, product: product, values: values, errors: nil)
    }

    @Sendable func update(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let product = try await scope.find(ProductType.self, req.id("product_type_id"), on: req.db)
        var input = try req.content.decode(ProductTypeInput.self)
        input.active = input.active ?? false
        input.requiredFields = input.requiredFields ?? []
        input.code = product.code
        switch try await attempt({
            try await ProductTypeService.update(product.id, input, scope: scope, now: req.now, on: req.db)
        }) {
        case .success(let saved):
            return req.redirect(to: "/product-types", flash: "Type de produit « \(saved.code) » enregistré.")
        case .failure(let errors):
            return try await renderForm(req, product: product, values: values(input), errors: errors)
        }
    }

    @Sendable func delete(req: Request) async throws -> Response {
        do {
            try await ProductTypeService.delete(
                req.id("product_type_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
            return req.redirect(to: "/product-types", flash: "Type de produit supprimé.")
        } catch AppError.conflict(_, let message) {
            return req.redirect(to: "/product-types", flash: message, error: true)
        }
    }

    private func values(_ input: ProductTypeInput) -> FormValues {
        FormValues(
            code: input.code ?? "", label: input.label ?? "", aidAmountText: input.aidAmountText ?? "",
            aids: (input.aids ?? []).joined(separator: "\n"), requiredFields: input.requiredFields ?? [],
            active: input.active ?? false)
    }

    private func renderForm(_ req: Request, product: ProductType?, values: FormValues, errors: FieldErrors?)
        async throws -> Response
    {
        let scope = try req.tenantScope()
        let context = FormContext(
            isNew: product == nil,
            action: product.map { "/product-types/\($0.id!.uuidString)" } ?? "/product-types",
            deleteAction: product.map { "/product-types/\($0.id!.uuidString)/delete" },
            values: values, errors: FormErrors(errors),
            fields: LeadField.allCases.map {
                FieldChoice(
                    name: $0.rawValue, label: $0.label,
                    checked: $0 == .phone || values.requiredFields.contains($0.rawValue), locked: $0 == .phone)
            },
            canEdit: scope.role.allows(.edit))
        return try await req.renderPage(
            "product-types/form", title: product.map { "Type de produit « \($0.code) »" } ?? "Nouveau type de produit",
            context, status: errors == nil ? .ok : .unprocessableEntity)
    }
}
