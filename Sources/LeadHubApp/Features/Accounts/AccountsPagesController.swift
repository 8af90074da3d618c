import Fluent
import LeadHubCore
import Vapor

struct AccountsPagesController {
    struct Row: Encodable {
        let id: String
        let name: String
        let crmName: String
        let parentName: String?
        let domain: String?
        let productTypes: [String]
        let logoURL: String?
        let color: String?
    }

    struct IndexContext: Encodable {
        let rows: [Row]
        let list: ListChrome
        let crmOptions: [SelectOption]
        let canEdit: Bool
    }

    struct FormValues: Encodable {
        var crmId = ""
        var parentId = ""
        var name = ""
        var domain = ""
        var productTypes: [String] = []
        var logoMainURL = ""
        var logoSecondaryURL = ""
        var logoSmallURL = ""
        var faviconURL = ""
        var primaryColor = ""
        var secondaryColor = ""
        var images = ""
        var privacyPolicy = ""
        var legalMentions = ""
        var cgu = ""
        var gtmHead = ""
        var gtmCta = ""
        var gtmConversion = ""
        var redirectURLs = ""
        var defaultRedirectURL = ""
        var notes = ""
    }

    struct ProductChoice: Encodable {
        let code: String
        let label: String
        let checked: Bool
    }

    struct FormContext: Encodable {
        let isNew: Bool
        let action: String
        let deleteAction: String?
        let values: FormValues
        let errors: FormErrors
        let crmOptions: [SelectOption]
        let parentOptions: [SelectOption]
        let products: [ProductChoice]
        let assets: [SelectOption]
        let tokens: [TokenRow]
        let canEdit: Bool
    }

    struct TokenRow: Encodable {
        let code: String
        let label: String
        let mask: String?
    }

    /// `crm_token_PV` fields: a value sets the token, `clear_crm_token_PV` removes it, empty keeps it.
    static func tokenInput(_ req: Request) async throws -> JSONValue? {
        let codes = try await req.tenantScope().query(ProductType.self, on: req.db).all().map(\.code)
        var tokens: [String: JSONValue] = [:]
        for code in codes {
            let clear: String? = try? req.content.get(String.self, at: "clear_crm_token_\(code)")
            let value: String? = try? req.content.get(String.self, at: "crm_token_\(code)")
            if clear == "on" {
                tokens[code] = .null
            } else if let value, !value.trimmingCharacters(in: .whitespaces).isEmpty {
                tokens[code] = .string(value)
            }
        }
        return tokens.isEmpty ? nil : .object(tokens)
    }

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        let crmParam: String? = req.query["crm_id"]
        let crmId = crmParam.flatMap(UUID.init(uuidString:)) ?? req.crmFilter
        let column = AccountService.sortable[params.sort ?? "name"] ?? "name"
        let (accounts, window) = try await AccountService.filtered(params, crmId: crmId, scope: scope, on: req.db)
            .sort(FieldKey(stringLiteral: column), params.descending ? .descending : .ascending)
            .numberedPage(params)
        let crms = try await scope.query(Crm.self, on: req.db).sort(\.$name).all()
        let crmNames = Dictionary(uniqueKeysWithValues: crms.map { ($0.id!, $0.name) })
        let parentIds = accounts.compactMap(\.parentId)
        let parents = try await scope.query(Account.self, on: req.db).filter(\.$id ~~ parentIds).all()
        let parentNames = Dictionary(uniqueKeysWithValues: parents.map { ($0.id!, $0.name) })
        let rows = accounts.map { account in
            Row(
                id: account.id!.uuidString, name: account.name, crmName: crmNames[account.crmId] ?? "—",
                parentName: account.parentId.map { parentNames[$0] ?? "—" }, domain: account.domain,
                productTypes: account.productTypes, logoURL: account.logoSmallURL ?? account.logoMainURL,
                color: account.primaryColor)
        }
        let list = ListChrome(
            path: "/accounts", params: params, window: window,
            columns: [("Compte", "name"), ("CRM", nil), ("Domaine", "domain"), ("Produits", nil)],
            currentSort: params.sort ?? "name", extra: ["crm_id": crmParam ?? ""])
        let options = crms.map { SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id == crmId) }
        return try await req.renderPage(
            "accounts/index", title: "Comptes",
            IndexContext(rows: rows, list: list, crmOptions: options, canEdit: scope.role.allows(.edit)))
    }

    @Sendable func new(req: Request) async throws -> Response {
        try req.tenantScope().require(.edit)
        var values = FormValues()
        values.crmId = req.crmFilter?.uuidString ?? ""
        values.parentId = req.query["parent_id"] ?? ""
        return try await renderForm(req, account: nil, values: values, errors: nil)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        var input = try req.content.decode(AccountInput.self)
        input.productTypes = input.productTypes ?? []
        input.crmTokens = try await Self.tokenInput(req)
        input.secrets = req.application.secretBox
        switch try await attempt({ try await AccountService.create(input, scope: scope, now: req.now, on: req.db) }) {
        case .success(let account): return req.redirect(to: "/accounts", flash: "Compte « \(account.name) » créé.")
        case .failure(let errors): return try await renderForm(req, account: nil, values: values(input), errors: errors)
        }
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let account = try await scope.find(Account.self, req.id("account_id"), on: req.db)
        return try await renderForm(req, account: account, values: values(account), errors: nil)
    }

    @Sendable func update(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let account = try await scope.find(Account.self, req.id("account_id"), on: req.db)
        var input = try req.content.decode(AccountInput.self)
        input.productTypes = input.productTypes ?? []
        input.crmTokens = try await Self.tokenInput(req)
        input.secrets = req.application.secretBox
        switch try await attempt({
            try await AccountService.update(account.id, input, scope: scope, now: req.now, on: req.db)
        }) {
        case .success(let saved): return req.redirect(to: "/accounts", flash: "Compte « \(saved.name) » enregistré.")
        case .failure(let errors):
            return try await renderForm(req, account: account, values: values(input), errors: errors)
        }
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        do {
            try await AccountService.delete(req.id("account_id"), scope: scope, now: req.now, on: req.db)
            return req.redirect(to: "/accounts", flash: "Compte supprimé.")
        } catch AppError.conflict(_, let message) {
            return req.redirect(to: "/accounts", flash: message, error: true)
        }
    }

    private func values(_ input: AccountInput) -> FormValues {
        FormValues(
            crmId: input.crmId ?? "", parentId: input.parentId ?? "", name: input.name ?? "",
            domain: input.domain ?? "",
            productTypes: input.productTypes ?? [], logoMainURL: input.logoMainURL ?? "",
            logoSecondaryURL: input.logoSecondaryURL ?? "", logoSmallURL: input.logoSmallURL ?? "",
            faviconURL: input.faviconURL ?? "", primaryColor: input.primaryColor ?? "",
            secondaryColor: input.secondaryColor ?? "", images: NamedURL.lines(input.images ?? []),
            privacyPolicy: input.privacyPolicy ?? "", legalMentions: input.legalMentions ?? "", cgu: input.cgu ?? "",
            gtmHead: input.gtmHead ?? "", gtmCta: input.gtmCta ?? "", gtmConversion: input.gtmConversion ?? "",
            redirectURLs: NamedURL.lines(input.redirectURLs ?? []), defaultRedirectURL: input.defaultRedirectURL ?? "",
            notes: input.notes ?? "")
    }

    private func values(_ a: Account) -> FormValues {
        FormValues(
            crmId: a.crmId.uuidString, parentId: a.parentId?.uuidString ?? "", name: a.name, domain: a.domain ?? "",
            productTypes: a.productTypes, logoMainURL: a.logoMainURL ?? "", logoSecondaryURL: a.logoSecondaryURL ?? "",
            logoSmallURL: a.logoSmallURL ?? "", faviconURL: a.faviconURL ?? "", primaryColor: a.primaryColor ?? "",
            secondaryColor: a.secondaryColor ?? "", images: NamedURL.lines(a.images),
            privacyPolicy: a.privacyPolicy ?? "", legalMentions: a.legalMentions ?? "", cgu: a.cgu ?? "",
            gtmHead: a.gtmHead ?? "", gtmCta: a.gtmCta ?? "", gtmConversion: a.gtmConversion ?? "",
            redirectURLs: NamedURL.lines(a.redirectURLs), defaultRedirectURL: a.defaultRedirectURL ?? "",
            notes: a.notes ?? "")
    }

    private func renderForm(_ req: Request, account: Account?, values: FormValues, errors: FieldErrors?) async throws
        -> Response
    {
        let scope = try req.tenantScope()
        let crms = try await scope.query(Crm.self, on: req.db).sort(\.$name).all()
        var excluded: Set<UUID> = []
        if let id = account?.id {
            excluded = Set(try await AccountService.descendants(of: id, scope: scope, on: req.db).compactMap(\.id))
            excluded.insert(id)
        }
        let parents = try await scope.query(Account.self, on: req.db).sort(\.$name).all()
            .filter { !excluded.contains($0.id!) }
        let products = try await scope.query(ProductType.self, on: req.db).sort(\.$code).all()
        let context = FormContext(
            isNew: account == nil,
            action: account.map { "/accounts/\($0.id!.uuidString)" } ?? "/accounts",
            deleteAction: account.map { "/accounts/\($0.id!.uuidString)/delete" },
            values: values, errors: FormErrors(errors),
            crmOptions: crms.map {
                SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id!.uuidString == values.crmId)
            },
            parentOptions: parents.map {
                SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id!.uuidString == values.parentId)
            },
            products: products.map {
                ProductChoice(code: $0.code, label: $0.label, checked: values.productTypes.contains($0.code))
            },
            assets: try await req.assetChoices(),
            tokens: products.map {
                TokenRow(
                    code: $0.code, label: $0.label,
                    mask: req.application.secretBox.openMap(account?.crmTokensSealed)[$0.code].map(SecretBox.masked))
            },
            canEdit: scope.role.allows(.edit))
        return try await req.renderPage(
            "accounts/form", title: account.map { "Compte « \($0.name) »" } ?? "Nouveau compte", context,
            status: errors == nil ? .ok : .unprocessableEntity)
    }
}
