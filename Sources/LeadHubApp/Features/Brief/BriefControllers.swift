import Fluent
import Foundation
import LeadHubCore
import Vapor

/// The brief page of a landing page or a form (copy buttons, downloads, print, live check), and
/// its admin API: `GET /api/admin/forms/{id}/brief?format=markdown|html|json` and
/// `/api/admin/lps/{id}/brief`, with `…/integration-check`.
struct BriefController {
    /// "form" or "lp": which object the route names.
    let origin: String

    private func target(_ req: Request, lenient: Bool = false) async throws -> BriefService.Target {
        try await BriefService.target(
            formId: origin == "form" ? req.id("form_id") : nil,
            landingPageId: origin == "lp" ? req.id("landing_page_id") : nil, from: origin, req: req, lenient: lenient)
    }

    // MARK: API

    @Sendable func brief(req: Request) async throws -> Response {
        let format = try BriefService.format(req.query[String.self, at: "format"])
        let target = try await target(req)
        return try await BriefService.file(
            try await BriefService.document(target, req: req), format: format, name: target.fileName, req: req)
    }

    @Sendable func check(req: Request) async throws -> BriefService.Check {
        try await BriefService.check(try await target(req), req: req)
    }

    // MARK: Page

    /// The page's live check: the same figures, formatted for the tables (session cookie).
    @Sendable func pageCheck(req: Request) async throws -> CheckView {
        Self.view(try await BriefService.check(try await target(req), req: req))
    }

    struct PageContext: Encodable {
        let heading: String
        let backHref: String
        let backLabel: String
        let action: String
        let pairField: String
        let pairLabel: String
        let pairOptions: [SelectOption]
        let modes: [ModeChoice]
        let showsModes: Bool
        let summaryHTML: String
        let bodyHTML: String
        let query: String
        let check: CheckView
    }

    struct ModeChoice: Encodable {
        let value: String
        let label: String
        let checked: Bool
    }

    /// The check as first drawn by the server; the page's script refreshes it from the same JSON.
    struct CheckView: Content {
        let ok: Bool
        let missing: [String]
        let counts: BriefService.Check.Counts
        let days: Int
        let events: [Row]
        let leads: [Row]

        struct Row: Content {
            let cells: [String]
        }
    }

    static let eventLabels = [
        "lp_visit": "Visite", "cta_click": "Clic CTA", "form_start": "Démarrage", "form_step": "Étape",
    ]

    static func view(_ check: BriefService.Check) -> CheckView {
        CheckView(
            // The API keeps Markdown's backticks around code; the page shows plain text.
            ok: check.ok, missing: check.missing.map { $0.replacingOccurrences(of: "`", with: "") },
            counts: check.counts,
            days: check.days,
            events: check.events.map {
                .init(cells: [
                    FrenchFormat.dateTime($0.createdAt), eventLabels[$0.type] ?? $0.type,
                    [$0.lpCode, $0.formCode].compactMap { $0 }.joined(separator: " → "), $0.sessionId ?? "—",
                    $0.utmSource ?? "—", $0.url ?? "—",
                ])
            },
            leads: check.leads.map {
                .init(cells: [
                    FrenchFormat.dateTime($0.createdAt), $0.phone, $0.status, $0.lpCode ?? "—", $0.sessionId ?? "—",
                    $0.utmSource ?? "—",
                ])
            })
    }

    @Sendable func page(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let target = try await target(req, lenient: true)
        let document = try await BriefService.document(target, req: req)
        let check = try await BriefService.check(target, req: req)
        let base: String
        let pairOptions: [SelectOption]
        let backHref: String
        let backLabel: String
        if origin == "form" {
            let form = target.form!
            base = "/forms/\(form.id!.uuidString)/brief"
            backHref = "/forms/\(form.id!.uuidString)"
            backLabel = "← Retour au formulaire \(form.code)"
            let pages = try await scope.query(LandingPage.self, on: req.db).sort(\.$code).all()
            pairOptions =
                [SelectOption(value: "", label: "Aucune (formulaire seul)", selected: target.landingPage == nil)]
                + pages.map {
                    SelectOption(
                        value: $0.id!.uuidString,
                        label: "\($0.code) — \($0.name)" + ($0.formId == form.id ? " (liée)" : ""),
                        selected: $0.id == target.landingPage?.id)
                }
        } else {
            let page = target.landingPage!
            base = "/landing-pages/\(page.id!.uuidString)/brief"
            backHref = "/landing-pages/\(page.id!.uuidString)"
            backLabel = "← Retour à la landing page \(page.code)"
            let forms = try await scope.query(Form.self, on: req.db).sort(\.$code).all()
            pairOptions =
                [SelectOption(value: "none", label: "Aucun (landing page seule)", selected: target.form == nil)]
                + forms.map {
                    SelectOption(
                        value: $0.id!.uuidString,
                        label: "\($0.code) — \($0.name)" + ($0.id == page.formId ? " (lié)" : ""),
                        selected: $0.id == target.form?.id)
                }
        }
        var query: [String] = ["mode=\(target.mode.rawValue)"]
        if origin == "form", let id = target.landingPage?.id { query.append("lp_id=\(id.uuidString)") }
        if origin == "lp" { query.append("form_id=\(target.form?.id?.uuidString ?? "none")") }
        let paired = target.landingPage != nil && target.form != nil
        return try await req.renderPage(
            "brief/show", title: document.title,
            PageContext(
                heading: document.title, backHref: backHref, backLabel: backLabel, action: base,
                pairField: origin == "form" ? "lp_id" : "form_id",
                pairLabel: origin == "form" ? "Landing page" : "Formulaire",
                pairOptions: pairOptions,
                modes: BriefInput.Mode.allCases.map {
                    ModeChoice(value: $0.rawValue, label: $0.label, checked: $0 == target.mode)
                },
                showsModes: paired, summaryHTML: BriefHTML.summary(document),
                bodyHTML: BriefHTML.fragment(document, copyButtons: true), query: query.joined(separator: "&"),
                check: Self.view(check)))
    }
}
