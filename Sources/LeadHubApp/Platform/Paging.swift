import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// Query parameters shared by every list: `q` (search), `sort`, `dir`, `page` for pages;
/// `limit` and `cursor` for the API.
struct ListParams: Content {
    var q: String?
    var sort: String?
    var dir: String?
    var page: Int?
    var limit: Int?
    var cursor: String?

    var search: String? {
        guard let text = q?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return String(text.prefix(100))
    }

    var descending: Bool { dir?.lowercased() == "desc" }

    /// API page size: 50 by default, 200 at most.
    var pageSize: Int { min(max(limit ?? 50, 1), 200) }
}

/// The API list shape: `{"items": [...], "next_cursor": "…" | null}`.
struct ListResponse<Item: Content>: Content {
    let items: [Item]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }
}

extension QueryBuilder where Model.IDValue == UUID {
    /// Keyset pagination on the id: stable while rows are added or removed, never skips a row.
    func cursorPage(_ params: ListParams) async throws -> (items: [Model], nextCursor: String?) {
        var query = self.sort(\._$id, .ascending)
        if let cursor = params.cursor {
            guard let after = UUID(uuidString: cursor) else {
                throw FieldErrors(["cursor": ["Curseur de pagination invalide."]])
            }
            query = query.filter(\._$id > after)
        }
        let rows = try await query.limit(params.pageSize + 1).all()
        let page = Array(rows.prefix(params.pageSize))
        let next = rows.count > params.pageSize ? page.last?.id?.uuidString : nil
        return (page, next)
    }

    /// Page-number pagination for back-office lists.
    func numberedPage(_ params: ListParams, perPage: Int = 25) async throws -> (items: [Model], window: PageWindow) {
        let total = try await self.copy().count()
        let window = PageWindow(page: params.page, perPage: perPage, total: total)
        let items = try await self.copy().range(window.offset..<(window.offset + window.perPage)).all()
        return (items, window)
    }
}

/// Case-insensitive "contains" across SQLite and PostgreSQL, with LIKE wildcards escaped.
func likePattern(_ text: String) -> String {
    let escaped = text.lowercased()
        .replacingOccurrences(of: "\\", with: "\\\\")
        .replacingOccurrences(of: "%", with: "\\%")
        .replacingOccurrences(of: "_", with: "\\_")
    return "%" + escaped + "%"
}

/// `LOWER(column) LIKE pattern ESCAPE '\'` on any of the columns, for list searches.
struct ContainsText: SQLExpression {
    let table: String
    let columns: [String]
    let text: String

    func serialize(to serializer: inout SQLSerializer) {
        let pattern = likePattern(text)
        serializer.write("(")
        for (index, column) in columns.enumerated() {
            if index > 0 { serializer.write(" OR ") }
            serializer.write("LOWER(")
            SQLColumn(column, table: table).serialize(to: &serializer)
            serializer.write(") LIKE ")
            SQLBind(pattern).serialize(to: &serializer)
            serializer.write(" ESCAPE '\\'")
        }
        serializer.write(")")
    }
}

extension QueryBuilder {
    /// Adds a case-insensitive search over some text columns when `text` is given.
    func search(_ text: String?, in columns: [String]) -> Self {
        guard let text else { return self }
        return self.filter(.custom(ContainsText(table: Model.schema, columns: columns, text: text)))
    }
}

extension Request {
    /// A UUID route parameter; nil when absent or malformed (the lookup then answers 404).
    func id(_ name: String) -> UUID? {
        parameters.get(name).flatMap(UUID.init(uuidString:))
    }
}
