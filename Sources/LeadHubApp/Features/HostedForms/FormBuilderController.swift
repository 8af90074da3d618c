import Fluent
import Foundation
import LeadHubCore
import Vapor

/// The back office of hosted forms: the builder (`/forms/{id}/builder`: draft, templates,
/// publication, versions), its preview (the real page, nothing saved), and the organization's
/// consent partners (`/consent-partners`).
struct FormBuilderController {
    struct Version: Encodable {
        let number: Int
        let publishedAt: String
        let current: Bool
    }

    struct BuilderContext: Encodable {
        let id: String
        let code: String
        let name: String
        let definition: String
        let templates: [SelectOption]
        let problems: [String]
        let errors: FormErrors
        let versions: [Version]
        let publishedVersion: Int?
        let publicURL: String?
        let previewURL: String
        let steps: [SelectOption]
        let partners: [String]
        let partnersVersion: Int?
        let canEdit: Bool
        let canManagePartners: Bool
        let fieldKinds: [SelectOption]
        let icons: [String]
    }

    @Sendable func page(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try await scope.find(Form.self, req.id("form_id"), on: req.db)
        return try await render(req, form: form, scope: scope, json: nil, errors: nil)
    }

    private func render(
        _ req: Request, form: Form, scope: TenantScope, json: String?, errors: FieldErrors?,
        status: HTTPStatus = .ok
    ) async throws -> Response {
        let draft = HostedFormService.draft(of: form)
        let versions = try await HostedFormService.versions(of: form, scope: scope, on: req.db)
        let partners = try await HostedFormService.currentPartners(organizationId: scope.organizationId, on: req.db)
        let organization = try await Organization.find(scope.organizationId, on: req.db)
        let base = APIDocsController.serverURL(req)
        let problems = draft.problems().messages.sorted { $0.key < $1.key }.flatMap { key, messages in
            messages.map { Self.place(key, in: draft) + " : " + $0 }
        }
        let id = try form.requireID().uuidString
        return try await req.renderPage(
            "forms/builder", title: "Constructeur — \(form.code)",
            BuilderContext(
                id: id, code: form.code, name: form.name, definition: json ?? HostedFormService.encode(draft),
                templates: FormTemplates.all.map {
                    SelectOption(value: $0.code, label: $0.label, selected: $0.productType == form.productType)
                },
                problems: problems, errors: FormErrors(errors),
                versions: versions.map {
                    Version(
                        number: $0.version, publishedAt: FrenchFormat.dateTime($0.publishedAt),
                        current: $0.version == form.publishedVersion)
                },
                publishedVersion: form.publishedVersion,
                publicURL: form.publishedVersion == nil
                    ? nil : HostedFormService.publicURL(base: base, slug: organization?.slug ?? "", code: form.code),
                previewURL: "/forms/\(id)/preview",
                steps: draft.steps.map { SelectOption(value: $0.id, label: $0.title, selected: false) },
                partners: partners?.partners ?? [], partnersVersion: partners?.version,
                canEdit: scope.role.allows(.edit), canManagePartners: scope.role.allows(.manageOrganization),
                fieldKinds: FormField.Kind.allCases.map {
                    SelectOption(value: $0.rawValue, label: $0.label, selected: false)
                },
                icons: FormIcon.names.sorted()),
            status: status)
    }

    /// « Écran 3 (Où se situe votre logement ?) » for `steps[2]…`.
    static func place(_ key: String, in definition: FormDefinition) -> String {
        guard key.hasPrefix("steps["), let close = key.firstIndex(of: "]"),
            let index = Int(key[key.index(key.startIndex, offsetBy: 6)..<close]), index < definition.steps.count
        else { return key == "steps" ? "Formulaire" : key }
        var out = "Écran \(index + 1) (« \(definition.steps[index].title) »)"
        if let range = key.range(of: "fields["), let end = key[range.upperBound...].firstIndex(of: "]"),
            let field = Int(key[range.upperBound..<end]), field < definition.steps[index].fields.count
        {
            out += ", champ « \(definition.steps[index].fields[field].label) »"
        }
        return out
    }

    struct BuilderForm: Content {
        var action: String?
        var definition: String?
        var template: String?
    }

    @Sendable func save(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        try scope.require(.edit)
        let form = try await scope.find(Form.self, req.id("form_id"), on: req.db)
        let input = try req.content.decode(BuilderForm.self)
        let back = "/forms/\(try form.requireID().uuidString)/builder"
        switch input.action {
        case "template":
            guard let template = FormTemplates.template(input.template ?? "") else {
                throw AppError.badRequest("Modèle inconnu.")
            }
            try await HostedFormService.saveDraft(
                template.definition, form: form, scope: scope, now: req.now, on: req.db)
            return req.redirect(to: back, flash: "Modèle « \(template.label) » chargé dans le brouillon.")
        case "save", "publish":
            let json = input.definition ?? ""
            switch HostedFormService.parse(json) {
            case .failure(let errors):
                return try await render(
                    req, form: form, scope: scope, json: json, errors: errors, status: .unprocessableEntity)
            case .success(let definition):
                try await HostedFormService.saveDraft(definition, form: form, scope: scope, now: req.now, on: req.db)
                guard input.action == "publish" else {
                    return req.redirect(to: back, flash: "Brouillon enregistré (non publié).")
                }
                do {
                    let version = try await HostedFormService.publish(
                        form: form, publicBase: APIDocsController.serverURL(req), scope: scope, now: req.now,
                        on: req.db)
                    return req.redirect(to: back, flash: "Version \(version) publiée : elle est en ligne.")
                } catch let problems as FieldErrors {
                    var errors = FieldErrors()
                    errors.add("definition", "Publication refusée : corrigez les points signalés.")
                    for (key, messages) in problems.messages {
                        for message in messages { errors.add(Self.place(key, in: definition), message) }
                    }
                    return try await render(
                        req, form: form, scope: scope, json: nil, errors: errors, status: .unprocessableEntity)
                }
            }
        default:
            throw AppError.badRequest("Action inconnue.")
        }
    }

    // MARK: - Preview

    /// The draft as a visitor sees it, one screen at a time (`?step=`); the answers of a screen
    /// are checked and its logic followed, nothing is saved and no tag runs.
    @Sendable func preview(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try await scope.find(Form.self, req.id("form_id"), on: req.db)
        let definition = HostedFormService.draft(of: form)
        guard let account = try await Account.find(form.accountId, on: req.db),
            let organization = try await Organization.find(scope.organizationId, on: req.db)
        else { throw AppError.notFound }
        let runtime = try await HostedFormRuntime.make(
            form: form, version: form.publishedVersion ?? 0, definition: definition, account: account,
            organization: organization, on: req.db)
        let query = HostedFormController.queryItems(req)
        let action = "/forms/\(try form.requireID().uuidString)/preview"
        let communes = req.application.communes.names
        var step = definition.step(query["step"]?.first ?? "") ?? definition.firstStep
        guard var current = step else { throw AppError.notFound }
        var page = HostedFormPage(
            runtime: runtime, definition: definition, step: current, action: action, communes: communes, preview: true)
        if current.kind == .disqualification { page.mode = .disqualified }
        if current.kind == .thankYou { page.mode = .completed }
        if query["_step"] != nil, current.kind.isQuestionFlow {
            // A screen answered in the preview: checked like the real one, then the next screen.
            switch FormFlow.answer(current, posted: query, in: definition, answers: .init(), communes: communes) {
            case .failure(let errors):
                page.posted = query
                page.errors = errors
            case .success(let (_, advance)):
                switch advance {
                case .next(let id), .disqualified(let id):
                    return req.redirect(to: action + "?step=" + id, redirectType: .normal)
                case .complete:
                    step = definition.steps.first { $0.kind == .thankYou }
                    if let step { return req.redirect(to: action + "?step=" + step.id, redirectType: .normal) }
                    current = FormStep(id: "merci", kind: .thankYou, title: "Merci (aperçu : aucun lead envoyé)")
                    page.step = current
                    page.mode = .completed
                }
            }
        }
        let response = HostedFormController.html(page.render(), status: .ok)
        response.headers.replaceOrAdd(
            name: "Content-Security-Policy",
            value: "default-src 'self'; img-src * data:; style-src 'self' 'unsafe-inline'; script-src 'none'; "
                + "frame-ancestors 'self'; form-action 'self'; base-uri 'none'")
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "SAMEORIGIN")
        return response
    }

    // MARK: - Consent partners

    struct PartnersContext: Encodable {
        let text: String
        let version: Int?
        let since: String?
        let errors: FormErrors
        let canEdit: Bool
    }

    @Sendable func partners(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let list = try await HostedFormService.currentPartners(organizationId: scope.organizationId, on: req.db)
        return try await req.renderPage(
            "forms/consent-partners", title: "Partenaires du consentement",
            PartnersContext(
                text: (list?.partners ?? []).joined(separator: "\n"), version: list?.version,
                since: list.map { FrenchFormat.dateTime($0.createdAt) }, errors: FormErrors(),
                canEdit: scope.role.allows(.manageOrganization)))
    }

    struct PartnersForm: Content { var partners: String? }

    @Sendable func savePartners(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let text = try req.content.decode(PartnersForm.self).partners ?? ""
        do {
            let list = try await HostedFormService.savePartners(text, scope: scope, now: req.now, on: req.db)
            return req.redirect(
                to: "/consent-partners", flash: "Liste enregistrée (version \(list.version)).")
        } catch let errors as FieldErrors {
            let list = try await HostedFormService.currentPartners(organizationId: scope.organizationId, on: req.db)
            return try await req.renderPage(
                "forms/consent-partners", title: "Partenaires du consentement",
                PartnersContext(
                    text: text, version: list?.version, since: list.map { FrenchFormat.dateTime($0.createdAt) },
                    errors: FormErrors(errors), canEdit: true),
                status: .unprocessableEntity)
        }
    }
}
