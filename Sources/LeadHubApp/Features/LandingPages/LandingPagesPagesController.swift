import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// Cards of LPs and forms share their look: account logo, product, source, status, lead counts.
struct PageCard: Encodable {
    let id: String
    let href: String
    let code: String
    let name: String
    let url: String?
    let accountName: String
    let logoURL: String?
    /// The page's own visual, if any.
    let imageURL: String?
    let productType: String?
    let sourceName: String?
    let status: String
    let archived: Bool
    let stats: CardStats
    let extra: String?
}

struct CardFilters: Encodable {
    let q: String
    let crmOptions: [SelectOption]
    let accountOptions: [SelectOption]
    let productOptions: [SelectOption]
    let sourceOptions: [SelectOption]
    let statusOptions: [SelectOption]
    let isFiltered: Bool
    let showsSource: Bool
    let periodOptions: [SelectOption]
}

struct CommentView: Encodable {
    let id: String
    let author: String
    let when: String
    let body: String
    let canDelete: Bool
}

enum CardSupport {
    static func filters(
        req: Request, scope: TenantScope, params: ListParams, crmId: UUID?, accountId: UUID?, productType: String?,
        sourceId: UUID?, status: String?, showsSource: Bool, period: AnalyticsPeriod
    ) async throws -> CardFilters {
        let crms = try await scope.query(Crm.self, on: req.db).sort(\.$name).all()
        let accounts = try await scope.query(Account.self, on: req.db).sort(\.$name).all()
        let products = try await scope.query(ProductType.self, on: req.db).sort(\.$code).all()
        let sources = try await scope.query(DiffusionSource.self, on: req.db).sort(\.$name).all()
        return CardFilters(
            q: params.search ?? "",
            crmOptions: crms.map { SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id == crmId) },
            accountOptions: accounts.map {
                SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id == accountId)
            },
            productOptions: products.map {
                SelectOption(value: $0.code, label: $0.code, selected: $0.code == productType)
            },
            sourceOptions: sources.map {
                SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id == sourceId)
            },
            statusOptions: PublicationStatus.allCases.map {
                SelectOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == status)
            },
            isFiltered: params.search != nil || crmId != nil || accountId != nil || !(productType ?? "").isEmpty
                || sourceId != nil || !(status ?? "").isEmpty, showsSource: showsSource,
            periodOptions: periodOptions(period))
    }

    struct CommentForm: Content { var body: String? }

    /// Posts the comment form of an LP or form page and goes back to its thread.
    static func postComment(_ req: Request, targetType: String, targetId: UUID, label: String, page: String)
        async throws
        -> Response
    {
        let scope = try req.tenantScope()
        let form = try req.content.decode(CommentForm.self)
        let target = page + "#commentaires"
        switch try await attempt({
            try await CommentService.add(
                form.body, targetType: targetType, targetId: targetId, label: label, user: req.identity?.user,
                scope: scope, now: req.now, on: req.db)
        }) {
        case .success: return req.redirect(to: target, flash: "Commentaire ajouté.")
        case .failure: return req.redirect(to: target, flash: "Le commentaire est vide.", error: true)
        }
    }

    static func comments(target: UUID, scope: TenantScope, on db: any Database) async throws -> [CommentView] {
        try await CommentService.list(target: target, scope: scope, on: db).map {
            CommentView(
                id: $0.id!.uuidString, author: $0.userName, when: FrenchFormat.dateTime($0.createdAt), body: $0.body,
                canDelete: $0.userId == scope.userId || scope.role == .admin)
        }
    }
}

struct LandingPagesPagesController {
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
        var diffusionSourceId = ""
        var kind = "redirect"
        var formId = ""
        var notes = ""
        var imageURL = ""
    }

    struct EditContext: Encodable {
        let isNew: Bool
        let id: String?
        let action: String
        let values: FormValues
        let errors: FormErrors
        let accountOptions: [SelectOption]
        let sourceOptions: [SelectOption]
        let formOptions: [SelectOption]
        let kindOptions: [SelectOption]
        let archived: Bool
        let formURL: String?
        let comments: [CommentView]
        let assets: [SelectOption]
        let canEdit: Bool
    }

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        var filters = try req.query.decode(LandingPageService.Filters.self)
        if filters.crmId == nil { filters.crmId = req.crmFilter }
        let (pages, window) = try await LandingPageService.filtered(params, filters: filters, scope: scope, on: req.db)
            .sort(\.$code).numberedPage(params, perPage: 24)
        let accounts = try await scope.query(Account.self, on: req.db).all()
        let sources = try await scope.query(DiffusionSource.self, on: req.db).all()
        let forms = try await scope.query(Form.self, on: req.db).filter(\.$id ~~ pages.compactMap(\.formId)).all()
        let period = AnalyticsPeriod.named(req.query[String.self, at: "period"]) ?? .last7Days
        let stats = try await CardSupport.stats(
            dimension: "lp_id", pages: pages.compactMap { page in page.id.map { ($0, page.statsSince) } },
            range: period.range(now: req.now), scope: scope, on: req.db)
        let cards = pages.map { page -> PageCard in
            let account = accounts.first { $0.id == page.accountId }
            let form = forms.first { $0.id == page.formId }
            return PageCard(
                id: page.id!.uuidString, href: "/landing-pages/\(page.id!.uuidString)", code: page.code,
                name: page.name,
                url: page.url, accountName: account?.name ?? "—",
                logoURL: account?.logoSmallURL ?? account?.logoMainURL,
                imageURL: page.imageURL,
                productType: form?.productType, sourceName: sources.first { $0.id == page.diffusionSourceId }?.name,
                status: page.status.label, archived: page.status == .archived,
                stats: CardSupport.cardStats(stats[page.id!], form: false), extra: form.map { "→ \($0.code)" })
        }
        let cardFilters = try await CardSupport.filters(
            req: req, scope: scope, params: params, crmId: filters.crmId, accountId: filters.accountId,
            productType: filters.productType, sourceId: filters.diffusionSourceId, status: filters.status,
            showsSource: true, period: period)
        let list = ListChrome(
            path: "/landing-pages", params: params, window: window, columns: [], currentSort: "code",
            extra: [
                "crm_id": filters.crmId?.uuidString ?? "", "account_id": filters.accountId?.uuidString ?? "",
                "product_type": filters.productType ?? "",
                "diffusion_source_id": filters.diffusionSourceId?.uuidString ?? "",
                "status": filters.status ?? "", "period": period.key,
            ])
        return try await req.renderPage(
            "landing-pages/index", title: "Landing pages",
            IndexContext(cards: cards, filters: cardFilters, list: list, canEdit: scope.role.allows(.edit)))
    }

    @Sendable func new(req: Request) async throws -> Response {
        try req.tenantScope().require(.edit)
        var values = FormValues()
        values.accountId = req.query["account_id"] ?? ""
        return try await render(req, page: nil, values: values, errors: nil)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let input = try req.content.decode(LandingPageInput.self)
        switch try await attempt({ try await LandingPageService.create(input, scope: scope, now: req.now, on: req.db) })
        {
        case .success(let page):
            return req.redirect(to: "/landing-pages/\(page.id!.uuidString)", flash: "Landing page \(page.code) créée.")
        case .failure(let errors): return try await render(req, page: nil, values: values(input), errors: errors)
        }
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let page = try await req.tenantScope().find(LandingPage.self, req.id("landing_page_id"), on: req.db)
        let values = FormValues(
            accountId: page.accountId.uuidString, code: page.code, name: page.name, url: page.url ?? "",
            diffusionSourceId: page.diffusionSourceId?.uuidString ?? "", kind: page.kindRaw,
            formId: page.formId?.uuidString ?? "", notes: page.notes ?? "", imageURL: page.imageURL ?? "")
        return try await render(req, page: page, values: values, errors: nil)
    }

    @Sendable func update(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let page = try await scope.find(LandingPage.self, req.id("landing_page_id"), on: req.db)
        let input = try req.content.decode(LandingPageInput.self)
        switch try await attempt({
            try await LandingPageService.update(page.id, input, scope: scope, now: req.now, on: req.db)
        }) {
        case .success(let saved):
            return req.redirect(
                to: "/landing-pages/\(saved.id!.uuidString)", flash: "Landing page \(saved.code) enregistrée.")
        case .failure(let errors): return try await render(req, page: page, values: values(input), errors: errors)
        }
    }

    struct ActionForm: Content { var action: String? }

    /// Duplicate, archive, reactivate, delete.
    @Sendable func act(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let id = req.id("landing_page_id")
        let page = try await scope.find(LandingPage.self, id, on: req.db)
        switch try req.content.decode(ActionForm.self).action {
        case "duplicate":
            let copy = try await LandingPageService.duplicate(id, scope: scope, now: req.now, on: req.db)
            return req.redirect(to: "/landing-pages/\(copy.id!.uuidString)", flash: "Copie \(copy.code) créée.")
        case "archive":
            _ = try await LandingPageService.setStatus(id, .archived, scope: scope, now: req.now, on: req.db)
            return req.redirect(to: "/landing-pages/\(page.id!.uuidString)", flash: "Landing page archivée.")
        case "unarchive":
            _ = try await LandingPageService.setStatus(id, .active, scope: scope, now: req.now, on: req.db)
            return req.redirect(to: "/landing-pages/\(page.id!.uuidString)", flash: "Landing page réactivée.")
        case "reset-stats", "count-all-stats":
            let reset = try req.content.decode(ActionForm.self).action == "reset-stats"
            try await CardSupport.setStatsSince(
                page, reset: reset, label: "la landing page \(page.code)", objectType: "landing_page", scope: scope,
                now: req.now,
                on: req.db)
            return req.redirect(
                to: "/landing-pages/\(page.id!.uuidString)",
                flash: reset
                    ? "Statistiques remises à zéro : la carte compte à partir de maintenant (rien n'est effacé)."
                    : "La carte compte de nouveau tout l'historique.")
        case "delete":
            try await LandingPageService.delete(id, scope: scope, now: req.now, on: req.db)
            return req.redirect(to: "/landing-pages", flash: "Landing page \(page.code) supprimée.")
        default:
            throw AppError.badRequest("Action inconnue.")
        }
    }

    @Sendable func comment(req: Request) async throws -> Response {
        let page = try await req.tenantScope().find(LandingPage.self, req.id("landing_page_id"), on: req.db)
        return try await CardSupport.postComment(
            req, targetType: "landing_page", targetId: try page.requireID(), label: "la landing page \(page.code)",
            page: "/landing-pages/\(page.id!.uuidString)")
    }

    private func values(_ input: LandingPageInput) -> FormValues {
        FormValues(
            accountId: input.accountId ?? "", code: input.code ?? "", name: input.name ?? "", url: input.url ?? "",
            diffusionSourceId: input.diffusionSourceId ?? "", kind: input.kind ?? "redirect",
            formId: input.formId ?? "",
            notes: input.notes ?? "", imageURL: input.imageURL ?? "")
    }

    private func render(_ req: Request, page: LandingPage?, values: FormValues, errors: FieldErrors?) async throws
        -> Response
    {
        let scope = try req.tenantScope()
        let accounts = try await scope.query(Account.self, on: req.db).sort(\.$name).all()
        let sources = try await scope.query(DiffusionSource.self, on: req.db).sort(\.$name).all()
        let forms = try await scope.query(Form.self, on: req.db).sort(\.$code).all()
        let comments =
            try await page.asyncMap { try await CardSupport.comments(target: $0.requireID(), scope: scope, on: req.db) }
            ?? []
        let context = EditContext(
            isNew: page == nil, id: page?.id?.uuidString,
            action: page.map { "/landing-pages/\($0.id!.uuidString)" } ?? "/landing-pages", values: values,
            errors: FormErrors(errors),
            accountOptions: accounts.map {
                SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id!.uuidString == values.accountId)
            },
            sourceOptions: sources.map {
                SelectOption(
                    value: $0.id!.uuidString, label: $0.name, selected: $0.id!.uuidString == values.diffusionSourceId)
            },
            formOptions: forms.map {
                SelectOption(
                    value: $0.id!.uuidString, label: "\($0.code) — \($0.name)",
                    selected: $0.id!.uuidString == values.formId)
            },
            kindOptions: LandingPageKind.allCases.map {
                SelectOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == values.kind)
            },
            archived: page?.status == .archived, formURL: forms.first { $0.id?.uuidString == values.formId }?.url,
            comments: comments, assets: try await req.assetChoices(), canEdit: scope.role.allows(.edit))
        return try await req.renderPage(
            "landing-pages/edit", title: page.map { "\($0.code) — \($0.name)" } ?? "Nouvelle landing page", context,
            status: errors == nil ? .ok : .unprocessableEntity)
    }
}
