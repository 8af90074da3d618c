import Foundation

/// A developer brief as a document: titled sections of paragraphs, code to paste, lists, tables,
/// checklists and warnings. One document, three renderings (Markdown, a standalone HTML file and
/// the back-office page), so that what is downloaded is exactly what is shown.
///
/// Text may hold `code` spans between backticks: Markdown keeps them, HTML turns them into
/// `<code>`. Nothing else is interpreted.
public struct BriefDocument: Equatable, Sendable {
    public var title: String
    public var summary: [String]
    public var sections: [BriefSection]

    public init(title: String, summary: [String], sections: [BriefSection]) {
        self.title = title
        self.summary = summary
        self.sections = sections
    }

    /// Every code block, in order: what the page's copy buttons copy.
    public var codeBlocks: [(id: String, text: String)] {
        sections.flatMap { section in
            section.blocks.compactMap { block -> (id: String, text: String)? in
                if case .code(let id, _, _, let text) = block { return (id, text) }
                return nil
            }
        }
    }

    public func section(_ id: String) -> BriefSection? { sections.first { $0.id == id } }
}

public struct BriefSection: Equatable, Sendable {
    public var id: String
    public var title: String
    public var blocks: [BriefBlock]

    public init(id: String, title: String, blocks: [BriefBlock]) {
        self.id = id
        self.title = title
        self.blocks = blocks
    }
}

public enum BriefBlock: Equatable, Sendable {
    case heading(String)
    case paragraph(String)
    /// Code to paste: an id (for copy buttons), its language, a caption saying where it goes.
    case code(id: String, language: String, caption: String, text: String)
    case list([String])
    case checklist([String])
    case table(header: [String], rows: [[String]])
    case warning(String)
}

/// Markdown: GitHub-flavoured (tables, fenced code, task lists).
public enum BriefMarkdown {
    public static func render(_ document: BriefDocument) -> String {
        var out = "# \(document.title)\n\n"
        for line in document.summary { out += line + "  \n" }
        if !document.summary.isEmpty { out += "\n" }
        for section in document.sections {
            out += "## \(section.title)\n\n"
            for block in section.blocks { out += render(block) + "\n" }
        }
        return out
    }

    static func render(_ block: BriefBlock) -> String {
        switch block {
        case .heading(let text): return "### \(text)\n"
        case .paragraph(let text): return text + "\n"
        case .warning(let text): return "> **Attention :** \(text)\n"
        case .list(let items): return items.map { "- \($0)" }.joined(separator: "\n") + "\n"
        case .checklist(let items): return items.map { "- [ ] \($0)" }.joined(separator: "\n") + "\n"
        case .code(_, let language, let caption, let text):
            let fence = text.contains("```") ? "~~~~" : "```"
            return "\(caption)\n\n\(fence)\(language)\n\(text)\n\(fence)\n"
        case .table(let header, let rows):
            func row(_ cells: [String]) -> String {
                "| "
                    + cells.map {
                        $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
                    }
                    .joined(separator: " | ") + " |"
            }
            return ([row(header), "|" + String(repeating: " --- |", count: header.count)] + rows.map(row))
                .joined(separator: "\n") + "\n"
        }
    }
}

/// HTML: the body fragment for the back-office page (with copy buttons) and a standalone file
/// (its own CSS, printable, no script, no external resource).
public enum BriefHTML {
    public static func fragment(_ document: BriefDocument, copyButtons: Bool) -> String {
        var out = ""
        for section in document.sections {
            out += "<section class=\"brief-section\" id=\"\(escape(section.id))\">\n<h2>\(inline(section.title))</h2>\n"
            for block in section.blocks { out += render(block, copyButtons: copyButtons) }
            out += "</section>\n"
        }
        return out
    }

    /// The summary lines, escaped, one per line.
    public static func summary(_ document: BriefDocument) -> String {
        document.summary.map(inline).joined(separator: "<br>\n")
    }

    public static func standalone(_ document: BriefDocument) -> String {
        var out = """
            <!doctype html>
            <html lang="fr">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(document.title))</title>
            <style>\(css)</style>
            </head>
            <body>
            <main>
            <h1>\(inline(document.title))</h1>

            """
        if !document.summary.isEmpty {
            out += "<p class=\"brief-summary\">" + summary(document) + "</p>\n"
        }
        out += "<nav><ol>"
        for section in document.sections {
            out += "<li><a href=\"#\(escape(section.id))\">\(inline(section.title))</a></li>"
        }
        out += "</ol></nav>\n"
        out += fragment(document, copyButtons: false)
        out += "</main>\n</body>\n</html>\n"
        return out
    }

    static func render(_ block: BriefBlock, copyButtons: Bool) -> String {
        switch block {
        case .heading(let text): return "<h3>\(inline(text))</h3>\n"
        case .paragraph(let text): return "<p>\(inline(text))</p>\n"
        case .warning(let text): return "<p class=\"brief-warning\"><strong>Attention :</strong> \(inline(text))</p>\n"
        case .list(let items): return "<ul>" + items.map { "<li>\(inline($0))</li>" }.joined() + "</ul>\n"
        case .checklist(let items):
            return "<ul class=\"brief-checklist\">"
                + items.map { "<li><span class=\"box\" aria-hidden=\"true\">☐</span> \(inline($0))</li>" }.joined()
                + "</ul>\n"
        case .code(let id, let language, let caption, let text):
            var out = "<div class=\"brief-code\">\n<p class=\"brief-caption\"><span>\(inline(caption))</span>"
            if copyButtons {
                out +=
                    " <button type=\"button\" class=\"button small secondary\" data-copy=\"#\(escape(id))\">Copier</button>"
            }
            out +=
                "</p>\n<pre id=\"\(escape(id))\" data-language=\"\(escape(language))\"><code>\(escape(text))</code></pre>\n</div>\n"
            return out
        case .table(let header, let rows):
            var out = "<div class=\"table-wrap\"><table class=\"brief-table\"><thead><tr>"
            out += header.map { "<th scope=\"col\">\(inline($0))</th>" }.joined() + "</tr></thead><tbody>"
            for row in rows { out += "<tr>" + row.map { "<td>\(inline($0))</td>" }.joined() + "</tr>" }
            return out + "</tbody></table></div>\n"
        }
    }

    public static func escape(_ text: String) -> String { HTMLText.escape(text) }

    /// Escaped text with its `code` spans.
    static func inline(_ text: String) -> String {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false).map(String.init)
        var out = ""
        for (index, part) in parts.enumerated() {
            if index % 2 == 0 {
                out += escape(part)
            } else if parts.count % 2 == 0 && index == parts.count - 1 {
                out += "`" + escape(part)  // an unpaired backtick stays a backtick
            } else {
                out += "<code>\(escape(part))</code>"
            }
        }
        return out
    }

    static let css = """
        body{font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;margin:0;background:#fff}
        main{max-width:960px;margin:0 auto;padding:24px}
        h1{font-size:1.6rem;margin:0 0 8px}h2{font-size:1.25rem;margin:32px 0 8px;padding-top:8px;border-top:1px solid #dde2ea}
        h3{font-size:1.05rem;margin:20px 0 6px}
        .brief-summary{color:#4a5568}
        pre{background:#f4f6f9;border:1px solid #dde2ea;border-radius:6px;padding:10px 12px;overflow-x:auto;white-space:pre-wrap;word-break:break-word;font-size:13px}
        code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
        p code,li code,td code{background:#f4f6f9;padding:1px 4px;border-radius:3px}
        .brief-caption{margin:12px 0 4px;font-weight:600}
        .brief-warning{background:#fff6e5;border-left:4px solid #d9822b;padding:8px 12px}
        table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border:1px solid #dde2ea;padding:6px 8px;text-align:left;vertical-align:top}
        th{background:#f4f6f9}
        .brief-checklist{list-style:none;padding-left:0}.brief-checklist li{margin:4px 0}
        nav ol{columns:2;margin:12px 0 0}
        @media print{main{max-width:none;padding:0}nav{display:none}h2{break-after:avoid}pre,table,.brief-code{break-inside:avoid}a{color:inherit}}
        """
}
