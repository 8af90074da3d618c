import Fluent
import Foundation
import LeadHubCore
import Vapor

/// « Campagnes A/B »: the list, the creation form, and a campaign's page (variants side by side,
/// cumulative conversion chart, verdict, entry link, start / stop / apply the winner, weights).
struct CampaignsPagesController {
    struct Row: Encodable {
        let href: String
        let code: String
        let name: String
        let mode: String
        let status: String
        let statusClass: String
        let variants: String
        let visitors: String
        let leads: String
        let verdict: String
    }

    struct IndexContext: Encodable {
        let rows: [Row]
        let canEdit: Bool
    }

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        var rows = [Row]()
        for campaign in try await CampaignService.list(scope: scope, on: req.db) {
            let view = try await CampaignView.load(campaign, base: req.publicBaseURL, now: req.now, on: req.db)
            rows.append(
                Row(
                    href: "/campaigns/\(campaign.id!.uuidString)", code: campaign.code, name: campaign.name,
                    mode: campaign.mode == .landingPages ? "Landing pages" : "Formulaires",
                    status: campaign.status.label, statusClass: "campaign-" + campaign.statusRaw,
                    variants: view.variants.map { view.targets.code(of: $0) }.joined(separator: " / "),
                    visitors: FrenchFormat.integer(view.report.visitors.reduce(0, +)),
                    leads: FrenchFormat.integer(view.report.leads.reduce(0, +)),
                    verdict: campaign.status == .decided
                        ? "Gagnant appliqué : \(view.variants.first { $0.id == campaign.winnerVariantId }?.name ?? "?")"
                        : view.report.verdict.state.label))
        }
        return try await req.renderPage(
            "campaigns/index", title: "Campagnes A/B", IndexContext(rows: rows, canEdit: scope.role.allows(.edit)))
    }

    // MARK: - Creation (and a draft's settings)

    struct VariantRow: Encodable {
        let index: Int
        let name: String
        let options: [SelectOption]
        let weight: String
        let error: String?
    }

    struct FormValues: Encodable {
        var name = ""
        var code = ""
        var minDays = String(CampaignVerdict.Rules.defaultMinDays)
        var maxDays = String(CampaignVerdict.Rules.defaultMaxDays)
        var plannedVisitors = ""
    }

    struct FormContext: Encodable {
        let isNew: Bool
        let action: String
        let modeLps: Bool
        let modeLabel: String
        let switchModeHref: String?
        let values: FormValues
        let fixedOptions: [SelectOption]
        let fixedField: String
        let fixedLabel: String
        let variants: [VariantRow]
        let errors: FormErrors
        let canEdit: Bool
    }

    struct PostedForm: Content {
        var name: String?
        var code: String?
        var mode: String?
        var formId: String?
        var lpId: String?
        var minDays: String?
        var maxDays: String?
        var plannedVisitors: String?
        var variant0: String?
        var variant1: String?
        var variant2: String?
        var variant3: String?
        var variant4: String?
        var variant5: String?
        var weight0: String?
        var weight1: String?
        var weight2: String?
        var weight3: String?
        var weight4: String?
        var weight5: String?

        enum CodingKeys: String, CodingKey {
            case name, code, mode, formId = "form_id", lpId = "lp_id", minDays = "min_days", maxDays = "max_days"
            case plannedVisitors = "planned_visitors"
            case variant0 = "variant_0", variant1 = "variant_1", variant2 = "variant_2", variant3 = "variant_3"
            case variant4 = "variant_4", variant5 = "variant_5"
            case weight0 = "weight_0", weight1 = "weight_1", weight2 = "weight_2", weight3 = "weight_3"
            case weight4 = "weight_4", weight5 = "weight_5"
        }

        var targets: [String?] { [variant0, variant1, variant2, variant3, variant4, variant5] }
        var weights: [String?] { [weight0, weight1, weight2, weight3, weight4, weight5] }

        /// The variants the form names (empty rows left out), as the API input.
        func input(mode: CampaignMode, variantsOnly: Bool = false) -> CampaignInput {
            var input = CampaignInput()
            if !variantsOnly {
                input.name = name
                input.code = code
                input.mode = mode.rawValue
                input.minDays = minDays
                input.maxDays = maxDays
                input.plannedVisitors = plannedVisitors
                if mode == .landingPages { input.formId = formId ?? "" } else { input.landingPageId = lpId ?? "" }
            }
            input.variants = zip(targets, weights).compactMap { target, weight in
                guard let target, !target.isEmpty else { return nil }
                return mode == .landingPages
                    ? .init(landingPageId: target, weight: weight) : .init(formId: target, weight: weight)
            }
            return input
        }
    }

    @Sendable func new(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        try scope.require(.edit)
        let mode = CampaignMode(rawValue: req.query[String.self, at: "mode"] ?? "") ?? .landingPages
        return try await renderForm(req, campaign: nil, mode: mode, posted: nil, errors: nil)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let posted = try req.content.decode(PostedForm.self)
        let mode = CampaignMode(rawValue: posted.mode ?? "") ?? .landingPages
        do {
            let campaign = try await CampaignService.create(
                posted.input(mode: mode), scope: scope, now: req.now, on: req.db)
            return req.redirect(
                to: "/campaigns/\(campaign.id!.uuidString)",
                flash: "Campagne \(campaign.code) créée : vérifiez les variantes puis lancez-la.")
        } catch let errors as FieldErrors {
            return try await renderForm(
                req, campaign: nil, mode: mode, posted: posted, errors: errors, status: .unprocessableEntity)
        } catch let error as AppError {
            guard case .conflict(let field, let message) = error else { throw error }
            return try await renderForm(
                req, campaign: nil, mode: mode, posted: posted, errors: FieldErrors([field ?? "code": [message]]),
                status: .unprocessableEntity)
        }
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let campaign = try await scope.find(Campaign.self, req.id("campaign_id"), on: req.db)
        guard campaign.status == .draft else { return req.redirect(to: "/campaigns/\(campaign.id!.uuidString)") }
        return try await renderForm(req, campaign: campaign, mode: campaign.mode, posted: nil, errors: nil)
    }

    func renderForm(
        _ req: Request, campaign: Campaign?, mode: CampaignMode, posted: PostedForm?, errors: FieldErrors?,
        status: HTTPStatus = .ok
    ) async throws -> Response {
        let scope = try req.tenantScope()
        let pages = try await scope.query(LandingPage.self, on: req.db).filter(\.$statusRaw == "active")
            .sort(\.$code).all()
        let forms = try await scope.query(Form.self, on: req.db).filter(\.$statusRaw == "active").sort(\.$code).all()
        var values = FormValues()
        var fixed: String? = nil
        var chosen = [String?](repeating: nil, count: CampaignRules.maxVariants)
        var weights = [String](repeating: "", count: CampaignRules.maxVariants)
        weights[0] = "50"
        weights[1] = "50"
        if let campaign {
            values.name = campaign.name
            values.code = campaign.code
            values.minDays = String(campaign.minDays)
            values.maxDays = String(campaign.maxDays)
            values.plannedVisitors = campaign.plannedVisitors.map(String.init) ?? ""
            fixed = (mode == .landingPages ? campaign.formId : campaign.landingPageId)?.uuidString
            for variant in try await CampaignService.variants(of: campaign, on: req.db)
            where variant.position < CampaignRules.maxVariants {
                chosen[variant.position] = (variant.landingPageId ?? variant.formId)?.uuidString
                weights[variant.position] = String(variant.weight)
            }
        }
        if let posted {
            values.name = posted.name ?? ""
            values.code = posted.code ?? ""
            values.minDays = posted.minDays ?? ""
            values.maxDays = posted.maxDays ?? ""
            values.plannedVisitors = posted.plannedVisitors ?? ""
            fixed = mode == .landingPages ? posted.formId : posted.lpId
            chosen = posted.targets
            weights = posted.weights.map { $0 ?? "" }
        }
        let targetOptions: [(String, String)] =
            mode == .landingPages
            ? pages.map { ($0.id!.uuidString, "\($0.code) — \($0.name)") }
            : forms.map { ($0.id!.uuidString, "\($0.code) — \($0.name)") }
        let fixedOptions: [(String, String)] =
            mode == .landingPages
            ? forms.map { ($0.id!.uuidString, "\($0.code) — \($0.name)") }
            : pages.map { ($0.id!.uuidString, "\($0.code) — \($0.name)") }
        // Errors of the API input by variant position map back to the rows that were filled.
        let filled = chosen.enumerated().filter { !($0.element ?? "").isEmpty }.map(\.offset)
        let rows = (0..<CampaignRules.maxVariants).map { index -> VariantRow in
            let apiIndex = filled.firstIndex(of: index)
            let error = apiIndex.flatMap {
                errors?.first("variants[\($0)]") ?? errors?.first("variants[\($0)].weight")
            }
            return VariantRow(
                index: index, name: CampaignRules.variantName(index) + (index == 0 ? " (référence)" : ""),
                options: targetOptions.map { SelectOption(value: $0.0, label: $0.1, selected: $0.0 == chosen[index]) },
                weight: weights[index], error: error)
        }
        let context = FormContext(
            isNew: campaign == nil,
            action: campaign.map { "/campaigns/\($0.id!.uuidString)" } ?? "/campaigns",
            modeLps: mode == .landingPages, modeLabel: mode.label,
            switchModeHref: campaign == nil
                ? "/campaigns/new?mode=\(mode == .landingPages ? CampaignMode.forms.rawValue : CampaignMode.landingPages.rawValue)"
                : nil,
            values: values,
            fixedOptions: fixedOptions.map { SelectOption(value: $0.0, label: $0.1, selected: $0.0 == fixed) },
            fixedField: mode == .landingPages ? "form_id" : "lp_id",
            fixedLabel: mode == .landingPages
                ? "Formulaire (commun à toutes les variantes)" : "Landing page (commune à toutes les variantes)",
            variants: rows, errors: FormErrors(errors), canEdit: try req.tenantScope().role.allows(.edit))
        return try await req.renderPage(
            "campaigns/edit", title: campaign.map { "\($0.code) — paramètres" } ?? "Nouvelle campagne A/B", context,
            status: status)
    }

    // MARK: - A campaign's page

    struct VariantCard: Encodable {
        let name: String
        let code: String
        let label: String
        let href: String
        let url: String?
        let weight: Int
        let share: String
        let visitors: String
        let exposures: String
        let leads: String
        let conversion: String
        let interval: String
        let probabilityBest: String
        let probabilityBeatsControl: String?
        let lift: String?
        let liftRange: String?
        let expectedLoss: String
        let isControl: Bool
        let isWinner: Bool
        let swatch: String
        let id: String
    }

    struct PhaseRow: Encodable {
        let number: Int
        let weights: String
        let from: String
        let to: String
        let current: Bool
    }

    struct ShowContext: Encodable {
        let id: String
        let code: String
        let name: String
        let modeLabel: String
        let status: String
        let statusClass: String
        let isDraft: Bool
        let fixedLabel: String
        let fixedHref: String
        let entryURL: String
        let adExample: String
        let ctaURL: String?
        let verdictState: String
        let verdictLabel: String
        let verdictSentence: String
        let toVerify: Bool
        let decided: String?
        let timing: String
        let robots: String?
        let variants: [VariantCard]
        let chartSVG: String
        let hasChart: Bool
        let phases: [PhaseRow]
        let canEdit: Bool
        let canStart: Bool
        let canStop: Bool
        let canApply: Bool
        let winnerOptions: [SelectOption]
        let weightsEditable: Bool
        let values: FormValues
        let errors: FormErrors
    }

    @Sendable func show(req: Request) async throws -> Response {
        try await renderShow(req, errors: nil)
    }

    func renderShow(_ req: Request, errors: FieldErrors?, status: HTTPStatus = .ok) async throws -> Response {
        let scope = try req.tenantScope()
        let campaign = try await scope.find(Campaign.self, req.id("campaign_id"), on: req.db)
        let view = try await CampaignView.load(campaign, base: req.publicBaseURL, now: req.now, on: req.db)
        let report = view.report
        let arms = report.verdict.arms
        let totalWeight = max(1, view.variants.reduce(0) { $0 + $1.weight })
        let winnerId = campaign.winnerVariantId ?? report.verdict.winner.map { view.variants[$0].id! }
        let cards = view.variants.enumerated().map { position, variant -> VariantCard in
            let arm = arms[position]
            let target = view.targets.target(of: variant)
            let targetId = (variant.landingPageId ?? variant.formId)!.uuidString
            return VariantCard(
                name: variant.name, code: target?.code ?? "?", label: target?.name ?? "",
                href: campaign.mode == .landingPages ? "/landing-pages/\(targetId)" : "/forms/\(targetId)",
                url: target?.url, weight: variant.weight,
                share: FrenchFormat.percent(Double(variant.weight) / Double(totalWeight), decimals: 0),
                visitors: FrenchFormat.integer(arm.visitors),
                exposures: FrenchFormat.integer(report.exposures[position]),
                leads: FrenchFormat.integer(arm.leads),
                conversion: FrenchFormat.percent(arm.conversion, decimals: 2),
                interval:
                    "\(FrenchFormat.percent(arm.conversionLow, decimals: 2)) à \(FrenchFormat.percent(arm.conversionHigh, decimals: 2))",
                probabilityBest: FrenchFormat.percent(arm.probabilityBest, decimals: 1),
                probabilityBeatsControl: arm.probabilityBeatsControl.map { FrenchFormat.percent($0, decimals: 1) },
                lift: arm.lift.map { FrenchFormat.signedPercent($0) },
                liftRange: arm.liftLow.flatMap { low in
                    arm.liftHigh.map { "\(FrenchFormat.signedPercent(low)) à \(FrenchFormat.signedPercent($0))" }
                },
                expectedLoss: FrenchFormat.percent(arm.expectedLoss, decimals: 2), isControl: position == 0,
                isWinner: variant.id == winnerId, swatch: "line-\(position)", id: variant.id!.uuidString)
        }
        let series = view.variants.enumerated().map { position, variant in
            (
                name: "\(variant.name) (\(view.targets.code(of: variant)))",
                values: report.days.map { day -> Double? in
                    day.visitors[position] > 0 ? Double(day.leads[position]) / Double(day.visitors[position]) : nil
                }
            )
        }
        let chart = SVGCharts.lines(
            series, labels: report.days.map { "J\($0.day)" }, id: "campaign-conversion",
            title: "Conversion cumulée par variante, jour après jour")
        let organization = try await Organization.find(campaign.organizationId, on: req.db)
        let fixedId = (campaign.mode == .landingPages ? campaign.formId : campaign.landingPageId)?.uuidString ?? ""
        var timing: String
        switch campaign.status {
        case .draft: timing = "Pas encore lancée."
        case .running, .stopped:
            let day = Int(report.elapsedDays) + 1
            timing =
                "Phase \(campaign.phase), jour \(day) : verdict possible à partir du jour \(campaign.minDays + 1), au plus tard au jour \(campaign.maxDays)."
            if let planned = campaign.plannedVisitors {
                timing += " Taille prévue : \(FrenchFormat.integer(planned)) visiteurs."
            }
            if campaign.status == .stopped { timing += " Campagne arrêtée : tout le trafic va à la variante A." }
        case .decided:
            timing = "Décidée le \(campaign.decidedAt.map(FrenchFormat.dateTime) ?? "—")."
        }
        let decided =
            campaign.status == .decided
            ? "Variante \(view.variants.first { $0.id == campaign.winnerVariantId }?.name ?? "?") appliquée à tout le trafic"
                + (campaign.decisionNote.map { " — \($0)" } ?? "") + "." : nil
        let canEdit = scope.role.allows(.edit)
        let leader = arms.indices.max { arms[$0].probabilityBest < arms[$1].probabilityBest } ?? 0
        var values = FormValues()
        values.name = campaign.name
        values.code = campaign.code
        values.minDays = String(campaign.minDays)
        values.maxDays = String(campaign.maxDays)
        values.plannedVisitors = campaign.plannedVisitors.map(String.init) ?? ""
        let context = ShowContext(
            id: campaign.id!.uuidString, code: campaign.code, name: campaign.name, modeLabel: campaign.mode.label,
            status: campaign.status.label, statusClass: "campaign-" + campaign.statusRaw,
            isDraft: campaign.status == .draft,
            fixedLabel: view.targets.fixed.map { "\($0.code) — \($0.name)" } ?? "—",
            fixedHref: campaign.mode == .landingPages ? "/forms/\(fixedId)" : "/landing-pages/\(fixedId)",
            entryURL: view.entryURL,
            adExample: view.entryURL + "&utm_source=google&utm_medium=cpc&utm_campaign=\(campaign.code.lowercased())",
            ctaURL: campaign.mode == .forms
                ? "\(req.publicBaseURL)/r/\(view.targets.fixed?.code ?? "")?org=\(organization?.slug ?? "")" : nil,
            verdictState: report.verdict.state.rawValue, verdictLabel: report.verdict.state.label,
            verdictSentence: report.verdict.sentence, toVerify: report.verdict.toVerify, decided: decided,
            timing: timing,
            robots: report.robots > 0
                ? "\(FrenchFormat.integer(report.robots)) robot\(report.robots > 1 ? "s" : "") écarté\(report.robots > 1 ? "s" : "") des chiffres."
                : nil,
            variants: cards, chartSVG: chart, hasChart: report.days.count > 1,
            phases: view.phases.map {
                PhaseRow(
                    number: $0.number, weights: $0.weights.map(String.init).joined(separator: " / "),
                    from: FrenchFormat.dateTime($0.startedAt), to: $0.endedAt.map(FrenchFormat.dateTime) ?? "en cours",
                    current: $0.number == campaign.phase)
            },
            canEdit: canEdit, canStart: canEdit && campaign.status.after(.start) != nil,
            canStop: canEdit && campaign.status.after(.stop) != nil,
            canApply: canEdit && campaign.status.after(.applyWinner) != nil,
            winnerOptions: cards.enumerated().map { position, card in
                // The winner, else the variant most likely to be best.
                SelectOption(
                    value: card.id, label: "\(card.name) — \(card.code)",
                    selected: winnerId != nil ? card.isWinner : position == leader)
            },
            weightsEditable: canEdit && (campaign.status == .running || campaign.status == .stopped),
            values: values, errors: FormErrors(errors))
        return try await req.renderPage(
            "campaigns/show", title: "\(campaign.code) — \(campaign.name)", context, status: status)
    }

    /// A draft's whole settings, or a started campaign's name, durations, size and weights.
    @Sendable func update(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let campaign = try await scope.find(Campaign.self, req.id("campaign_id"), on: req.db)
        let posted = try req.content.decode(PostedForm.self)
        var input: CampaignInput
        if campaign.status == .draft {
            input = posted.input(mode: campaign.mode)
        } else {
            input = CampaignInput()
            input.name = posted.name
            input.minDays = posted.minDays
            input.maxDays = posted.maxDays
            input.plannedVisitors = posted.plannedVisitors
            if campaign.status != .decided, posted.weights.contains(where: { $0 != nil }) {
                // The weights of the existing variants, in order.
                let variants = try await CampaignService.variants(of: campaign, on: req.db)
                input.variants = variants.map { variant in
                    let weight = posted.weights[min(variant.position, CampaignRules.maxVariants - 1)]
                    return campaign.mode == .landingPages
                        ? .init(landingPageId: variant.landingPageId?.uuidString, weight: weight)
                        : .init(formId: variant.formId?.uuidString, weight: weight)
                }
            }
        }
        do {
            let phase = campaign.phase
            let saved = try await CampaignService.update(campaign.id, input, scope: scope, now: req.now, on: req.db)
            return req.redirect(
                to: "/campaigns/\(saved.id!.uuidString)",
                flash: saved.phase > phase && phase > 0
                    ? "Nouveaux poids enregistrés : la phase \(saved.phase) commence, ses chiffres repartent de zéro."
                    : "Campagne enregistrée.")
        } catch let errors as FieldErrors {
            if campaign.status == .draft {
                return try await renderForm(
                    req, campaign: campaign, mode: campaign.mode, posted: posted, errors: errors,
                    status: .unprocessableEntity)
            }
            return try await renderShow(req, errors: errors, status: .unprocessableEntity)
        }
    }

    struct ActionForm: Content {
        var action: String?
        var variantId: String?
        var note: String?
        enum CodingKeys: String, CodingKey { case action, variantId = "variant_id", note }
    }

    @Sendable func act(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let campaign = try await scope.find(Campaign.self, req.id("campaign_id"), on: req.db)
        let form = try req.content.decode(ActionForm.self)
        let back = "/campaigns/\(campaign.id!.uuidString)"
        guard let action = CampaignStatus.Action(rawValue: form.action ?? "") else {
            return req.redirect(to: back, flash: "Action inconnue.", error: true)
        }
        do {
            _ = try await CampaignService.act(
                campaign.id, action, variantId: form.variantId.flatMap { UUID(uuidString: $0) }, note: form.note,
                scope: scope, now: req.now, on: req.db)
            let message: String
            switch action {
            case .start: message = "Campagne lancée : le lien d'entrée répartit maintenant le trafic."
            case .stop: message = "Campagne arrêtée : tout le trafic va à la variante A ; les chiffres sont gardés."
            case .applyWinner: message = "Gagnant appliqué : tout le trafic du lien d'entrée va à cette variante."
            }
            return req.redirect(to: back, flash: message)
        } catch let errors as FieldErrors {
            return req.redirect(to: back, flash: errors.summary, error: true)
        }
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        try await CampaignService.delete(req.id("campaign_id"), scope: scope, now: req.now, on: req.db)
        return req.redirect(to: "/campaigns", flash: "Campagne supprimée.")
    }
}
