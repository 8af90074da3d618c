import Fluent
import LeadHubCore
import Vapor

struct DiffusionSourcesPagesController {
    struct Row: Encodable {
        let id: String
        let name: String
        let category: String
        let active: Bool
    }

    struct IndexContext: Encodable {
        let rows: [Row]
        let list: ListChrome
        let canEdit: Bool
    }

    struct FormValues: Encodable {
        var name = ""
        var category = "native"
        var active = true
    }

    struct FormContext: Encodable {
        let isNew: Bool
        let action: String
        let deleteAction: String?
        let values: FormValues
        let errors: FormErrors
        let categories: [SelectOption]
        let canEdit: Bool
    }

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        let column = DiffusionSourceService.sortable[params.sort ?? "name"] ?? "name"
        let (sources, window) = try await DiffusionSourceService.filtered(params, scope: scope, on: req.db)
            .sort(FieldKey(stringLiteral: column), params.descending ? .descending : .ascending)
            .numberedPage(params)
        let rows = sources.map {
            Row(id: $0.id!.uuidString, name: $0.name, category: $0.category.label, active: $0.active)
        }
        let list = ListChrome(
            path: "/diffusion-sources", params: params, window: window,
            columns: [("Nom", "name"), ("Catégorie", "category"), ("État", nil)], currentSort: params.sort ?? "name")
        return try await req.renderPage(
            "diffusion-sources/index", title: "Sources de diffusion",
            IndexContext(rows: rows, list: list, canEdit: scope.role.allows(.edit)))
    }

    @Sendable func new(req: Request) async throws -> Response {
        try req.tenantScope().require(.edit)
        return try await renderForm(req, source: nil, values: FormValues(), errors: nil)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        var input = try req.content.decode(DiffusionSourceInput.self)
        input.active = input.active ?? false
        switch try await attempt({
            try await DiffusionSourceService.create(input, scope: scope, now: req.now, on: req.db)
        }) {
        case .success(let source):
            return req.redirect(to: "/diffusion-sources", flash: "Source « \(source.name) » créée.")
        case .failure(let errors): return try await renderForm(req, source: nil, values: values(input), errors: errors)
        }
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let source = try await scope.find(DiffusionSource.self, req.id("source_id"), on: req.db)
        let values = FormValues(name: source.name, category: source.categoryRaw, active: source.active)
        return try await renderForm(req, source: source, values: values, errors: nil)
    }

    @Sendable func update(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let source = try await scope.find(DiffusionSource.self, req.id("source_id"), on: req.db)
        var input = try req.content.decode(DiffusionSourceInput.self)
        input.active = input.active ?? false
        switch try await attempt({
            try await DiffusionSourceService.update(source.id, input, scope: scope, now: req.now, on: req.db)
        }) {
        case .success(let saved):
            return req.redirect(to: "/diffusion-sources", flash: "Source « \(saved.name) » enregistrée.")
        case .failure(let errors):
            return try await renderForm(req, source: source, values: values(input), errors: errors)
        }
    }

    @Sendable func delete(req: Request) async throws -> Response {
        try await DiffusionSourceService.delete(
            req.id("source_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
        return req.redirect(to: "/diffusion-sources", flash: "Source supprimée.")
    }

    private func values(_ input: DiffusionSourceInput) -> FormValues {
        FormValues(name: input.name ?? "", category: input.category ?? "", active: input.active ?? false)
    }

    private func renderForm(_ req: Request, source: DiffusionSource?, values: FormValues, errors: FieldErrors?)
        async throws -> Response
    {
        let scope = try req.tenantScope()
        let context = FormContext(
            isNew: source == nil,
            action: source.map { "/diffusion-sources/\($0.id!.uuidString)" } ?? "/diffusion-sources",
            deleteAction: source.map { "/diffusion-sources/\($0.id!.uuidString)/delete" },
            values: values, errors: FormErrors(errors),
            categories: DiffusionCategory.allCases.map {
                SelectOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == values.category)
            },
            canEdit: scope.role.allows(.edit))
        return try await req.renderPage(
            "diffusion-sources/form", title: source.map { "Source « \($0.name) »" } ?? "Nouvelle source de diffusion",
            context, status: errors == nil ? .ok : .unprocessableEntity)
    }
}
