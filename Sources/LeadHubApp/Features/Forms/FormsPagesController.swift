import Fluent
import Foundation
import LeadHubCore
import Vapor

struct FormsPagesController {
    struct IndexContext: Encodable {
        let cards: [PageCard]
        let filters: CardFilters
        let list: ListChrome
        let canEdit: Bool
    }

    struct FormValues: Encodable {
        var accountId = ""
        var code = ""
        var name = ""
        var url = ""
        var productType = ""
        var trackingType = "gtm"
        var thankYouURL = ""
        var thankYouRedirect = ""
        var excludeFromRouting = false
        var metropolitanOnly = false
        var allowedOrigins = ""
        var notes = ""
        var imageURL = ""
        var landingPageIds: [String] = []
    }

    struct Choice: Encodable {
        let id: String
        let label: String
        let checked: Bool
    }

    struct EditContext: Encodable {
        let isNew: Bool
        let id: String?
        let action: String
        let values: FormValues
        let errors: FormErrors
        let accountOptions: [SelectOption]
        let productOptions: [SelectOption]
        let trackingOptions: [SelectOption]
        let redirectOptions: [SelectOption]
        let landingPages: [Choice]
        let archived: Bool
        let formKey: String?
        let publicURL: String
        let comments: [CommentView]
        let assets: [SelectOption]
        let crmTokenMask: String?
        let canEdit: Bool
        /// The hosted form's state and its step drop-off (`HostedForms/`).
        let hosted: HostedFormService.Summary?
    }

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        var filters = try req.query.decode(FormService.Filters.self)
        if filters.crmId == nil { filters.crmId = req.crmFilter }
        let (forms, window) = try await FormService.filtered(params, filters: filters, scope: scope, on: req.db)
            .sort(\.$code).numberedPage(params, perPage: 24)
        let accounts = try await scope.query(Account.self, on: req.db).all()
        let pages = try await scope.query(LandingPage.self, on: req.db).filter(\.$formId ~~ forms.compactMap(\.id))
            .all()
        let period = AnalyticsPeriod.named(req.query[String.self, at: "period"]) ?? .last7Days
        let stats = try await CardSupport.stats(
            dimension: "form_id", pages: forms.compactMap { form in form.id.map { ($0, form.statsSince) } },
            range: period.range(now: req.now), scope: scope, on: req.db)
        let cards = forms.map { form -> PageCard in
            let account = accounts.first { $0.id == form.accountId }
            let linked = pages.filter { $0.formId == form.id }.map(\.code)
            return PageCard(
                id: form.id!.uuidString, href: "/forms/\(form.id!.uuidString)", code: form.code, name: form.name,
                url: form.url, accountName: account?.name ?? "—",
                logoURL: account?.logoSmallURL ?? account?.logoMainURL,
                imageURL: form.imageURL,
                productType: form.productType, sourceName: nil, status: form.status.label,
                archived: form.status == .archived, stats: CardSupport.cardStats(stats[form.id!], form: true),
                extra: linked.isEmpty ? nil : "← " + linked.joined(separator: ", "))
        }
        let cardFilters = try await CardSupport.filters(
            req: req, scope: scope, params: params, crmId: filters.crmId, accountId: filters.accountId,
            productType: filters.productType, sourceId: nil, status: filters.status, showsSource: false, period: period)
        let list = ListChrome(
            path: "/forms", params: params, window: window, columns: [], currentSort: "code",
            extra: [
                "crm_id": filters.crmId?.uuidString ?? "", "account_id": filters.accountId?.uuidString ?? "",
                "product_type": filters.productType ?? "", "status": filters.status ?? "", "period": period.key,
            ])
        return try await req.renderPage(
            "forms/index", title: "Formulaires",
            IndexContext(cards: cards, filters: cardFilters, list: list, canEdit: scope.role.allows(.edit)))
    }

    @Sendable func new(req: Request) async throws -> Response {
        try req.tenantScope().require(.edit)
        var values = FormValues()
        values.accountId = req.query["account_id"] ?? ""
        return try await render(req, form: nil, values: values, errors: nil)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let input = try decode(req)
        switch try await attempt({ try await FormService.create(input, scope: scope, now: req.now, on: req.db) }) {
        case .success(let form):
            return req.redirect(to: "/forms/\(form.id!.uuidString)", flash: "Formulaire \(form.code) créé.")
        case .failure(let errors): return try await render(req, form: nil, values: values(input), errors: errors)
        }
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try await scope.find(Form.self, req.id("form_id"), on: req.db)
        let linked = try await scope.query(LandingPage.self, on: req.db).filter(\.$formId == form.requireID()).all()
        let values = FormValues(
            accountId: form.accountId.uuidString, code: form.code, name: form.name, url: form.url ?? "",
            productType: form.productType, trackingType: form.trackingTypeRaw, thankYouURL: form.thankYouURL ?? "",
            thankYouRedirect: form.thankYouRedirect ?? "", excludeFromRouting: form.excludeFromRouting,
            metropolitanOnly: form.metropolitanOnly, allowedOrigins: form.allowedOrigins.joined(separator: "\n"),
            notes: form.notes ?? "", imageURL: form.imageURL ?? "", landingPageIds: linked.map { $0.id!.uuidString })
        return try await render(req, form: form, values: values, errors: nil)
    }

    @Sendable func update(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try await scope.find(Form.self, req.id("form_id"), on: req.db)
        let input = try decode(req)
        switch try await attempt({
            try await FormService.update(form.id, input, scope: scope, now: req.now, on: req.db)
        }) {
        case .success(let saved):
            return req.redirect(to: "/forms/\(saved.id!.uuidString)", flash: "Formulaire \(saved.code) enregistré.")
        case .failure(let errors): return try await render(req, form: form, values: values(input), errors: errors)
        }
    }

    struct ActionForm: Content { var action: String? }

    @Sendable func act(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let id = req.id("form_id")
        let form = try await scope.find(Form.self, id, on: req.db)
        let back = "/forms/\(form.id!.uuidString)"
        switch try req.content.decode(ActionForm.self).action {
        case "duplicate":
            let copy = try await FormService.duplicate(id, scope: scope, now: req.now, on: req.db)
            return req.redirect(to: "/forms/\(copy.id!.uuidString)", flash: "Copie \(copy.code) créée.")
        case "archive":
            _ = try await FormService.setStatus(id, .archived, scope: scope, now: req.now, on: req.db)
            return req.redirect(to: back, flash: "Formulaire archivé : il refuse désormais les leads.")
        case "unarchive":
            _ = try await FormService.setStatus(id, .active, scope: scope, now: req.now, on: req.db)
            return req.redirect(to: back, flash: "Formulaire réactivé.")
        case "reset-stats", "count-all-stats":
            let reset = try req.content.decode(ActionForm.self).action == "reset-stats"
            try await CardSupport.setStatsSince(
                form, reset: reset, label: "le formulaire \(form.code)", objectType: "form", scope: scope, now: req.now,
                on: req.db)
            return req.redirect(
                to: back,
                flash: reset
                    ? "Statistiques remises à zéro : la carte compte à partir de maintenant (rien n'est effacé)."
                    : "La carte compte de nouveau tout l'historique.")
        case "regenerate-key":
            _ = try await FormService.regenerateKey(id, scope: scope, now: req.now, on: req.db)
            return req.redirect(to: back, flash: "Nouvelle clé générée : l'ancienne ne fonctionne plus.")
        case "delete":
            do {
                try await FormService.delete(id, scope: scope, now: req.now, on: req.db)
                return req.redirect(to: "/forms", flash: "Formulaire \(form.code) supprimé.")
            } catch AppError.conflict(_, let message) {
                return req.redirect(to: back, flash: message, error: true)
            }
        default:
            throw AppError.badRequest("Action inconnue.")
        }
    }

    @Sendable func comment(req: Request) async throws -> Response {
        let form = try await req.tenantScope().find(Form.self, req.id("form_id"), on: req.db)
        return try await CardSupport.postComment(
            req, targetType: "form", targetId: try form.requireID(), label: "le formulaire \(form.code)",
            page: "/forms/\(form.id!.uuidString)")
    }

    /// Unticked boxes are absent from a form post: they mean false / none.
    private func decode(_ req: Request) throws -> FormInput {
        var input = try req.content.decode(FormInput.self)
        input.excludeFromRouting = input.excludeFromRouting ?? false
        input.metropolitanOnly = input.metropolitanOnly ?? false
        input.landingPageIds = input.landingPageIds ?? []
        input.allowedOrigins = input.allowedOrigins ?? []
        // The token field is empty unless someone types a new one: empty keeps the saved token.
        let clear: String? = try? req.content.get(String.self, at: "clear_crm_token")
        if clear == "on" {
            input.crmToken = ""
        } else if input.crmToken?.trimmingCharacters(in: .whitespaces).isEmpty == true {
            input.crmToken = nil
        }
        input.secrets = req.application.secretBox
        return input
    }

    private func values(_ input: FormInput) -> FormValues {
        FormValues(
            accountId: input.accountId ?? "", code: input.code ?? "", name: input.name ?? "", url: input.url ?? "",
            productType: input.productType ?? "", trackingType: input.trackingType ?? "gtm",
            thankYouURL: input.thankYouURL ?? "", thankYouRedirect: input.thankYouRedirect ?? "",
            excludeFromRouting: input.excludeFromRouting ?? false, metropolitanOnly: input.metropolitanOnly ?? false,
            allowedOrigins: (input.allowedOrigins ?? []).joined(separator: "\n"), notes: input.notes ?? "",
            imageURL: input.imageURL ?? "", landingPageIds: input.landingPageIds ?? [])
    }

    private func render(_ req: Request, form: Form?, values: FormValues, errors: FieldErrors?) async throws -> Response
    {
        let scope = try req.tenantScope()
        let accounts = try await scope.query(Account.self, on: req.db).sort(\.$name).all()
        let products = try await scope.query(ProductType.self, on: req.db).filter(\.$active == true).sort(\.$code).all()
        let pages = try await scope.query(LandingPage.self, on: req.db).sort(\.$code).all()
        let account = accounts.first { $0.id?.uuidString == values.accountId }
        let comments =
            try await form.asyncMap { try await CardSupport.comments(target: $0.requireID(), scope: scope, on: req.db) }
            ?? []
        let context = EditContext(
            isNew: form == nil, id: form?.id?.uuidString,
            action: form.map { "/forms/\($0.id!.uuidString)" } ?? "/forms", values: values, errors: FormErrors(errors),
            accountOptions: accounts.map {
                SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id!.uuidString == values.accountId)
            },
            productOptions: products.map {
                SelectOption(value: $0.code, label: "\($0.code) — \($0.label)", selected: $0.code == values.productType)
            },
            trackingOptions: TrackingType.allCases.map {
                SelectOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == values.trackingType)
            },
            redirectOptions: (account?.redirectURLs ?? []).map {
                SelectOption(
                    value: $0.name, label: "\($0.name) — \($0.url)", selected: $0.name == values.thankYouRedirect)
            },
            landingPages: pages.map {
                Choice(
                    id: $0.id!.uuidString, label: "\($0.code) — \($0.name)",
                    checked: values.landingPageIds.contains($0.id!.uuidString))
            },
            archived: form?.status == .archived, formKey: form?.formKey,
            publicURL: APIDocsController.serverURL(req), comments: comments, assets: try await req.assetChoices(),
            crmTokenMask: form?.crmTokenSealed.flatMap { try? req.application.secretBox.open($0) }.map(
                SecretBox.masked),
            canEdit: scope.role.allows(.edit),
            hosted: try await form.asyncMap {
                try await HostedFormService.summary(
                    $0, base: APIDocsController.serverURL(req), scope: scope, now: req.now, on: req.db)
            })
        return try await req.renderPage(
            "forms/edit", title: form.map { "\($0.code) — \($0.name)" } ?? "Nouveau formulaire", context,
            status: errors == nil ? .ok : .unprocessableEntity)
    }
}
