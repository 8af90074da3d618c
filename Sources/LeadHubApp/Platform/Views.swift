import Foundation
import LeadHubCore
import Vapor

/// What the layout needs on every back-office page: who is there, the sidebar, the CRM switcher,
/// the CSRF token for forms, a one-time flash message.
struct LayoutContext: Encodable {
    struct NavItem: Encodable {
        let label: String
        let href: String
        let icon: String
        let active: Bool
        /// A count shown next to the label (open alerts).
        var badge: Int? = nil
    }

    struct NavGroup: Encodable {
        let title: String?
        let items: [NavItem]
    }

    struct CrmOption: Encodable {
        let id: String
        let name: String
        let selected: Bool
    }

    let title: String
    let userName: String
    let userEmail: String
    let roleLabel: String
    let csrf: String
    let nav: [NavGroup]
    let crmOptions: [CrmOption]
    let allCrmsSelected: Bool
    let flash: String?
    let flashError: String?
    let currentPath: String
    let canEdit: Bool
    let isAdmin: Bool
}

/// A page: the layout plus the page's own typed context.
struct Page<Body: Encodable>: Encodable {
    let layout: LayoutContext
    let page: Body
}

enum Sidebar {
    static func groups(for role: Role, currentPath: String, openAlerts: Int = 0) -> [LayoutContext.NavGroup] {
        func item(_ label: String, _ href: String, _ icon: String) -> LayoutContext.NavItem {
            var active = href == "/" ? currentPath == "/" : (currentPath == href || currentPath.hasPrefix(href + "/"))
            if href == "/leads" && currentPath.hasPrefix("/leads/review") { active = false }
            return .init(
                label: label, href: href, icon: icon, active: active,
                badge: href == "/alerts" && openAlerts > 0 ? openAlerts : nil)
        }
        var groups: [LayoutContext.NavGroup] = [
            .init(
                title: nil,
                items: [
                    item("Tableau de bord", "/", "◧"),
                    item("Leads", "/leads", "☰"),
                    item("À vérifier", "/leads/review", "✓"),
                    item("Landing pages", "/landing-pages", "▭"),
                    item("Formulaires", "/forms", "✎"),
                    item("Campagnes A/B", "/campaigns", "⚖"),
                ]),
            .init(
                title: "Configuration",
                items: [
                    item("Comptes", "/accounts", "◉"),
                    item("CRMs", "/crms", "⇄"),
                    item("Sources de diffusion", "/diffusion-sources", "⌁"),
                    item("Types de produit", "/product-types", "◆"),
                    item("Médiathèque", "/assets", "▣"),
                ]),
            .init(
                title: "Suivi",
                items: [
                    item("Facturation", "/billing", "€"),
                    item("Retours", "/returns", "↩"),
                    item("File d'attente", "/queue", "⇶"),
                    item("Alertes", "/alerts", "⚠"),
                    item("Journal", "/activity", "≡"),
                ]),
        ]
        var admin = [item("Paramètres", "/settings", "⚙")]
        if role == .admin { admin.append(item("Utilisateurs", "/users", "☺")) }
        groups.append(.init(title: "Administration", items: admin))
        return groups
    }
}

enum Flash {
    static let cookie = "leadhub_flash"

    /// Sets a one-time message shown on the next page.
    static func set(_ message: String, error: Bool = false, on response: Response) {
        let value = (error ? "!" : "") + message
        response.cookies[cookie] = HTTPCookies.Value(
            string: value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "", maxAge: 60, path: "/",
            isHTTPOnly: true, sameSite: .lax)
    }
}

extension Request {
    /// Renders a back-office page inside the layout.
    func renderPage<Body: Encodable>(_ template: String, title: String, _ body: Body, status: HTTPStatus = .ok)
        async throws -> Response
    {
        guard let identity else { throw AppError.unauthorized() }
        let scope = identity.scope
        let crms = try await scope.query(Crm.self, on: db).sort(\.$name).all()
        let filter = identity.session?.crmFilter
        var flash: String? = nil
        var flashError: String? = nil
        if let raw = cookies[Flash.cookie]?.string.removingPercentEncoding, !raw.isEmpty {
            if raw.hasPrefix("!") { flashError = String(raw.dropFirst()) } else { flash = raw }
        }
        let layout = LayoutContext(
            title: title, userName: identity.user.name, userEmail: identity.user.email,
            roleLabel: identity.user.role.label, csrf: identity.session?.csrfToken ?? "",
            nav: Sidebar.groups(
                for: scope.role, currentPath: url.path,
                openAlerts: try await AlertService.openCount(scope: scope, on: db)),
            crmOptions: crms.map { .init(id: $0.id!.uuidString, name: $0.name, selected: $0.id == filter) },
            allCrmsSelected: filter == nil || !crms.contains { $0.id == filter },
            flash: flash, flashError: flashError, currentPath: url.string,
            canEdit: scope.role.allows(.edit), isAdmin: scope.role == .admin)
        let view = try await self.view.render(template, Page(layout: layout, page: body)).get()
        let response = try await view.encodeResponse(status: status, for: self)
        if flash != nil || flashError != nil {
            response.cookies[Flash.cookie] = HTTPCookies.Value(
                string: "", expires: Date(timeIntervalSince1970: 0), path: "/")
        }
        return response
    }

    /// Redirects after a successful post, with a flash message.
    func redirect(to path: String, flash message: String, error: Bool = false) -> Response {
        let response = redirect(to: path, redirectType: .normal)
        Flash.set(message, error: error, on: response)
        return response
    }

    /// The CRM chosen in the switcher, if any and still visible.
    var crmFilter: UUID? {
        guard let id = identity?.session?.crmFilter, identity?.scope.canSee(crm: id) ?? false else { return nil }
        return id
    }
}

/// Field errors for a form page: the first message of each field.
struct FormErrors: Encodable {
    let fields: [String: String]
    let any: Bool
    /// Every message, for forms whose fields gather several (a commande per product).
    let all: [String]

    init(_ errors: FieldErrors? = nil) {
        fields = (errors?.messages ?? [:]).compactMapValues(\.first)
        any = !(errors?.isEmpty ?? true)
        all = (errors?.messages ?? [:]).sorted { $0.key < $1.key }.flatMap(\.value)
    }
}

/// A select option.
struct SelectOption: Encodable {
    let value: String
    let label: String
    let selected: Bool
}

/// Sortable column headers and pagination links of a list page.
struct ListChrome: Encodable {
    struct Column: Encodable {
        let label: String
        let href: String?
        let state: String
    }

    struct PageLink: Encodable {
        let label: String
        let href: String?
    }

    let q: String
    let columns: [Column]
    let range: String
    let previous: String?
    let next: String?
    let isEmpty: Bool
    let isFiltered: Bool

    init(
        path: String, params: ListParams, window: PageWindow, columns: [(label: String, key: String?)],
        currentSort: String, extra: [String: String] = [:]
    ) {
        func link(page: Int?, sort: String?, dir: String?) -> String {
            var items: [URLQueryItem] = []
            if let q = params.search { items.append(.init(name: "q", value: q)) }
            for (key, value) in extra.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
                items.append(.init(name: key, value: value))
            }
            if let sort { items.append(.init(name: "sort", value: sort)) }
            if let dir { items.append(.init(name: "dir", value: dir)) }
            if let page, page > 1 { items.append(.init(name: "page", value: String(page))) }
            var components = URLComponents()
            components.path = path
            components.queryItems = items.isEmpty ? nil : items
            return components.string ?? path
        }
        let currentDir = params.descending ? "desc" : "asc"
        self.q = params.search ?? ""
        self.columns = columns.map { column in
            guard let key = column.key else { return Column(label: column.label, href: nil, state: "") }
            let isCurrent = key == currentSort
            let nextDir = isCurrent && currentDir == "asc" ? "desc" : "asc"
            return Column(
                label: column.label, href: link(page: nil, sort: key, dir: nextDir),
                state: isCurrent ? currentDir : "")
        }
        self.range = window.rangeLabel
        self.previous = window.hasPrevious ? link(page: window.page - 1, sort: params.sort, dir: params.dir) : nil
        self.next = window.hasNext ? link(page: window.page + 1, sort: params.sort, dir: params.dir) : nil
        self.isEmpty = window.total == 0
        self.isFiltered = params.search != nil || extra.values.contains { !$0.isEmpty }
    }
}

/// Runs a save for a form page: validation and uniqueness errors come back as field errors to
/// show next to the inputs; anything else is thrown on.
func attempt<T>(_ body: () async throws -> T) async throws -> Result<T, FieldErrors> {
    do {
        return .success(try await body())
    } catch let errors as FieldErrors {
        return .failure(errors)
    } catch AppError.conflict(let field?, let message) {
        return .failure(FieldErrors([field: [message]]))
    }
}
