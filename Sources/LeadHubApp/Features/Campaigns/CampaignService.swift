import Fluent
import Foundation
import LeadHubCore
import Vapor

/// What creates or changes a campaign, from the JSON API or the page's form. Absent means keep.
struct CampaignInput: Decodable, Sendable {
    struct Variant: Decodable, Sendable {
        var landingPageId: String?
        var formId: String?
        var weight: String?

        enum CodingKeys: String, CodingKey { case landingPageId = "lp_id", formId = "form_id", weight }

        init(landingPageId: String? = nil, formId: String? = nil, weight: String? = nil) {
            self.landingPageId = landingPageId
            self.formId = formId
            self.weight = weight
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            landingPageId = try c.text(.landingPageId)
            formId = try c.text(.formId)
            weight = try c.text(.weight)
        }
    }

    var code: String?
    var name: String?
    var mode: String?
    var formId: String?
    var landingPageId: String?
    var variants: [Variant]?
    var minDays: String?
    var maxDays: String?
    var plannedVisitors: String?

    enum CodingKeys: String, CodingKey {
        case code, name, mode, formId = "form_id", landingPageId = "lp_id", variants, minDays = "min_days"
        case maxDays = "max_days", plannedVisitors = "planned_visitors"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.text(.code)
        name = try c.text(.name)
        mode = try c.text(.mode)
        formId = try c.text(.formId)
        landingPageId = try c.text(.landingPageId)
        if c.contains(.variants), try !c.decodeNil(forKey: .variants) {
            guard let list = try? c.decode([Variant].self, forKey: .variants) else {
                throw FieldErrors(["variants": ["Liste de variantes attendue : [{lp_id ou form_id, weight}]."]])
            }
            variants = list
        }
        minDays = try c.text(.minDays)
        maxDays = try c.text(.maxDays)
        plannedVisitors = try c.text(.plannedVisitors)
    }
}

enum CampaignService {
    static func list(scope: TenantScope, on db: any Database) async throws -> [Campaign] {
        try await scope.query(Campaign.self, on: db).sort(\.$createdAt, .descending).limit(500).all()
    }

    static func variants(of campaign: Campaign, on db: any Database) async throws -> [CampaignVariant] {
        try await CampaignVariant.query(on: db).filter(\.$organizationId == campaign.organizationId)
            .filter(\.$campaignId == campaign.requireID()).sort(\.$position).all()
    }

    static func phases(of campaign: Campaign, on db: any Database) async throws -> [CampaignPhase] {
        try await CampaignPhase.query(on: db).filter(\.$organizationId == campaign.organizationId)
            .filter(\.$campaignId == campaign.requireID()).sort(\.$number).all()
    }

    static func create(_ input: CampaignInput, scope: TenantScope, now: Date, on db: any Database) async throws
        -> Campaign
    {
        try scope.require(.edit)
        let campaign = Campaign()
        campaign.organizationId = scope.organizationId
        campaign.status = .draft
        campaign.modeRaw = CampaignMode.landingPages.rawValue
        campaign.phase = 0
        campaign.minDays = CampaignVerdict.Rules.defaultMinDays
        campaign.maxDays = CampaignVerdict.Rules.defaultMaxDays
        campaign.seed = Secrets.token(prefix: "", bytes: 16)
        let planned = try await apply(input, to: campaign, current: [], creating: true, scope: scope, on: db)
        try await db.transaction { tx in
            try await campaign.create(on: tx)
            for variant in planned.variants {
                variant.campaignId = try campaign.requireID()
                try await variant.create(on: tx)
            }
            try await ActivityService.record(
                .create, objectType: "campaign", objectId: campaign.id,
                summary: "Campagne \(campaign.code) « \(campaign.name) » créée", scope: scope, at: now, on: tx)
        }
        return campaign
    }

    static func update(_ id: UUID?, _ input: CampaignInput, scope: TenantScope, now: Date, on db: any Database)
        async throws -> Campaign
    {
        let campaign = try await scope.find(Campaign.self, id, on: db)
        try scope.require(.edit)
        let current = try await variants(of: campaign, on: db)
        let planned = try await apply(input, to: campaign, current: current, creating: false, scope: scope, on: db)
        try await db.transaction { tx in
            var summary = "Campagne \(campaign.code) modifiée"
            if planned.replaced {
                for variant in current { try await variant.delete(on: tx) }
                for variant in planned.variants {
                    variant.campaignId = try campaign.requireID()
                    try await variant.create(on: tx)
                }
            } else if planned.weightsChanged {
                for variant in planned.variants { try await variant.save(on: tx) }
                if campaign.phase > 0 {
                    try await openPhase(of: campaign, weights: planned.variants.map(\.weight), now: now, on: tx)
                    summary +=
                        " : nouveaux poids \(planned.variants.map { String($0.weight) }.joined(separator: "/")), phase \(campaign.phase)"
                }
            }
            try await campaign.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "campaign", objectId: campaign.id, summary: summary, scope: scope, at: now,
                on: tx)
        }
        return campaign
    }

    static func delete(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws {
        let campaign = try await scope.find(Campaign.self, id, on: db)
        try scope.require(.edit)
        try await db.transaction { tx in
            let campaignId = try campaign.requireID()
            try await CampaignAssignment.delete(campaignId: campaignId, on: tx)
            try await CampaignPhase.query(on: tx).filter(\.$campaignId == campaignId).delete()
            try await CampaignVariant.query(on: tx).filter(\.$campaignId == campaignId).delete()
            try await campaign.delete(on: tx)
            try await ActivityService.record(
                .delete, objectType: "campaign", objectId: campaign.id,
                summary: "Campagne \(campaign.code) « \(campaign.name) » supprimée", scope: scope, at: now, on: tx)
        }
    }

    /// Start, stop or apply the winner (`variantId`, else the verdict's winner).
    static func act(
        _ id: UUID?, _ action: CampaignStatus.Action, variantId: UUID? = nil, note: String? = nil,
        scope: TenantScope, now: Date, on db: any Database
    ) async throws -> Campaign {
        let campaign = try await scope.find(Campaign.self, id, on: db)
        try scope.require(.edit)
        guard let next = campaign.status.after(action) else {
            throw FieldErrors([
                "status": [
                    "Impossible de \(actionLabel(action)) une campagne « \(campaign.status.label.lowercased()) »."
                ]
            ])
        }
        let variants = try await variants(of: campaign, on: db)
        let winner = try await chosenWinner(
            action, variantId: variantId, campaign: campaign, variants: variants, now: now, on: db)
        let summary: String
        switch action {
        case .start:
            try await checkTargets(of: campaign, variants: variants, scope: scope, on: db)
            summary = campaign.phase == 0 ? "Campagne \(campaign.code) lancée" : "Campagne \(campaign.code) relancée"
        case .stop:
            summary = "Campagne \(campaign.code) arrêtée"
        case .applyWinner:
            summary = "Campagne \(campaign.code) : variante \(winner?.name ?? "?") appliquée à tout le trafic"
        }
        var noteErrors = FieldErrors()
        let decisionNote = Check.optionalText(note, field: "note", max: 1_000, errors: &noteErrors)
        try noteErrors.throwIfAny()
        try await db.transaction { tx in
            switch action {
            case .start:
                if campaign.phase == 0 {
                    campaign.startedAt = now
                    try await openPhase(of: campaign, weights: variants.map(\.weight), now: now, on: tx)
                }
                campaign.stoppedAt = nil
            case .stop:
                campaign.stoppedAt = now
            case .applyWinner:
                campaign.winnerVariantId = winner?.id
                campaign.decidedAt = now
                campaign.decisionNote = decisionNote
                try await closePhase(of: campaign, now: now, on: tx)
            }
            campaign.status = next
            try await campaign.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "campaign", objectId: campaign.id, summary: summary, scope: scope, at: now,
                on: tx)
        }
        return campaign
    }

    /// The variant « Appliquer le gagnant » sends all traffic to: the one chosen, else the verdict's.
    private static func chosenWinner(
        _ action: CampaignStatus.Action, variantId: UUID?, campaign: Campaign, variants: [CampaignVariant],
        now: Date, on db: any Database
    ) async throws -> CampaignVariant? {
        guard action == .applyWinner else { return nil }
        if let variantId {
            guard let chosen = variants.first(where: { $0.id == variantId }) else {
                throw FieldErrors(["variant_id": ["Cette variante n'appartient pas à la campagne."]])
            }
            return chosen
        }
        let report = try await CampaignResults.report(campaign, variants: variants, now: now, on: db)
        guard let index = report.verdict.winner, index < variants.count else {
            throw FieldErrors([
                "variant_id": [
                    "Pas de gagnant établi (\(report.verdict.state.label.lowercased())) : choisissez la variante à appliquer."
                ]
            ])
        }
        return variants[index]
    }

    static func actionLabel(_ action: CampaignStatus.Action) -> String {
        switch action {
        case .start: "lancer"
        case .stop: "arrêter"
        case .applyWinner: "appliquer le gagnant d'"
        }
    }

    private static func openPhase(of campaign: Campaign, weights: [Int], now: Date, on db: any Database) async throws {
        try await closePhase(of: campaign, now: now, on: db)
        campaign.phase += 1
        campaign.phaseStartedAt = now
        let phase = CampaignPhase()
        phase.organizationId = campaign.organizationId
        phase.campaignId = try campaign.requireID()
        phase.number = campaign.phase
        phase.weightsJSON = "[" + weights.map(String.init).joined(separator: ",") + "]"
        phase.startedAt = now
        try await phase.create(on: db)
    }

    private static func closePhase(of campaign: Campaign, now: Date, on db: any Database) async throws {
        guard campaign.phase > 0 else { return }
        try await CampaignPhase.query(on: db).filter(\.$campaignId == campaign.requireID())
            .filter(\.$number == campaign.phase).filter(\.$endedAt == nil).set(\.$endedAt, to: now).update()
    }

    /// Every page the entry link may send to has an address.
    private static func checkTargets(
        of campaign: Campaign, variants: [CampaignVariant], scope: TenantScope, on db: any Database
    ) async throws {
        let targets = try await CampaignTargets.load(campaign, variants: variants, on: db)
        var errors = FieldErrors()
        switch campaign.mode {
        case .landingPages:
            for variant in variants where targets.url(of: variant) == nil {
                errors.add(
                    "variants",
                    "La landing page \(targets.code(of: variant)) n'a pas d'adresse : le lien d'entrée ne peut pas y envoyer."
                )
            }
        case .forms:
            if targets.entryURL == nil {
                errors.add("lp_id", "La landing page de la campagne n'a pas d'adresse.")
            }
            for variant in variants where targets.url(of: variant) == nil {
                errors.add(
                    "variants",
                    "Le formulaire \(targets.code(of: variant)) n'a pas d'adresse : la landing page ne peut pas y envoyer."
                )
            }
        }
        try errors.throwIfAny()
    }

    struct Planned {
        var variants: [CampaignVariant]
        var replaced: Bool
        var weightsChanged: Bool
    }

    private static func apply(
        _ input: CampaignInput, to campaign: Campaign, current: [CampaignVariant], creating: Bool,
        scope: TenantScope, on db: any Database
    ) async throws -> Planned {
        var errors = FieldErrors()
        let status = campaign.status
        let draft = status == .draft
        if creating || input.name != nil {
            campaign.name = Check.requiredText(input.name, field: "name", max: 150, errors: &errors)
        }
        if status == .decided,
            input.mode != nil || input.variants != nil || input.formId != nil || input.landingPageId != nil
        {
            errors.add("status", "Une campagne décidée ne change plus ; créez-en une nouvelle.")
        }
        if let raw = input.mode, !raw.isEmpty || creating {
            if let mode = CampaignMode(rawValue: raw.trimmedText) {
                if !draft && mode != campaign.mode {
                    errors.add("mode", "Le mode d'une campagne lancée ne change plus.")
                } else {
                    campaign.modeRaw = mode.rawValue
                }
            } else {
                errors.add("mode", "Mode invalide : « lps » (landing pages) ou « forms » (formulaires).")
            }
        } else if creating {
            errors.add("mode", "Choisissez le mode : « lps » (landing pages) ou « forms » (formulaires).")
        }
        let mode = CampaignMode(rawValue: campaign.modeRaw) ?? .landingPages

        // The fixed side: the form (mode lps) or the landing page (mode forms).
        if !draft, input.formId != nil || input.landingPageId != nil {
            if (input.formId.flatMap { UUID(uuidString: $0) } ?? campaign.formId) != campaign.formId
                || (input.landingPageId.flatMap { UUID(uuidString: $0) } ?? campaign.landingPageId)
                    != campaign.landingPageId
            {
                errors.add("status", "La page fixe d'une campagne lancée ne change plus.")
            }
        } else if draft {
            switch mode {
            case .landingPages:
                if creating || input.formId != nil || input.mode != nil {
                    if let form = try await findForm(input.formId ?? campaign.formId?.uuidString, scope: scope, on: db)
                    {
                        campaign.formId = form.id
                        campaign.landingPageId = nil
                        campaign.accountId = form.accountId
                    } else {
                        errors.add(
                            "form_id",
                            (input.formId ?? "").isEmpty
                                ? "Choisissez le formulaire vers lequel mènent les landing pages."
                                : "Formulaire introuvable.")
                    }
                }
            case .forms:
                if creating || input.landingPageId != nil || input.mode != nil {
                    if let page = try await findPage(
                        input.landingPageId ?? campaign.landingPageId?.uuidString, scope: scope, on: db)
                    {
                        campaign.landingPageId = page.id
                        campaign.formId = nil
                        campaign.accountId = page.accountId
                    } else {
                        errors.add(
                            "lp_id",
                            (input.landingPageId ?? "").isEmpty
                                ? "Choisissez la landing page devant les formulaires." : "Landing page introuvable.")
                    }
                }
            }
        }

        if let raw = input.minDays, !raw.isEmpty {
            if let value = Int(raw.trimmedText), CampaignRules.minDaysRange.contains(value) {
                campaign.minDays = value
            } else {
                errors.add("min_days", "Durée minimale : un nombre de jours de 1 à 90.")
            }
        }
        if let raw = input.maxDays, !raw.isEmpty {
            if let value = Int(raw.trimmedText), CampaignRules.maxDaysRange.contains(value) {
                campaign.maxDays = value
            } else {
                errors.add("max_days", "Durée maximale : un nombre de jours de 1 à 365.")
            }
        }
        if errors.first("min_days") == nil, errors.first("max_days") == nil, campaign.maxDays < campaign.minDays {
            if input.maxDays == nil || input.maxDays!.isEmpty {
                campaign.maxDays = max(campaign.minDays, CampaignVerdict.Rules.defaultMaxDays)
            } else {
                errors.add("max_days", "La durée maximale ne peut pas être inférieure à la durée minimale.")
            }
        }
        if let raw = input.plannedVisitors {
            if raw.trimmedText.isEmpty {
                campaign.plannedVisitors = nil
            } else if let value = Int(raw.trimmedText.replacingOccurrences(of: " ", with: "")),
                value >= CampaignRules.minPlannedVisitors, value <= 100_000_000
            {
                campaign.plannedVisitors = value
            } else {
                errors.add(
                    "planned_visitors",
                    "Taille prévue : un nombre de visiteurs d'au moins \(CampaignRules.minPlannedVisitors), ou vide.")
            }
        }

        var planned = Planned(variants: current, replaced: false, weightsChanged: false)
        if let list = input.variants {
            var weights = [Int]()
            var targets = [UUID?]()
            for (index, item) in list.enumerated() {
                let raw = item.weight?.trimmedText ?? ""
                if raw.isEmpty {
                    weights.append(50)
                } else if let weight = Int(raw) {
                    weights.append(weight)
                } else {
                    errors.add("variants[\(index)].weight", "Poids : un nombre entier de 0 à 1 000.")
                    weights.append(0)
                }
                let reference = mode == .landingPages ? item.landingPageId : item.formId
                targets.append(reference.flatMap { UUID(uuidString: $0.trimmedText) })
                if reference == nil || reference!.trimmedText.isEmpty {
                    errors.add(
                        "variants[\(index)]",
                        mode == .landingPages
                            ? "Choisissez la landing page de la variante \(CampaignRules.variantName(index))."
                            : "Choisissez le formulaire de la variante \(CampaignRules.variantName(index)).")
                }
            }
            for message in CampaignRules.weightErrors(weights) { errors.add("variants", message) }
            if Set(targets.compactMap { $0 }).count < targets.compactMap({ $0 }).count {
                errors.add("variants", "Une même page ne peut être qu'une seule variante.")
            }
            if draft {
                var built = [CampaignVariant]()
                for (index, target) in targets.enumerated() {
                    guard let target else { continue }
                    let visible =
                        mode == .landingPages
                        ? try await findPage(target.uuidString, scope: scope, on: db) != nil
                        : try await findForm(target.uuidString, scope: scope, on: db) != nil
                    if !visible {
                        errors.add(
                            "variants[\(index)]",
                            mode == .landingPages ? "Landing page introuvable." : "Formulaire introuvable.")
                        continue
                    }
                    let variant = CampaignVariant()
                    variant.organizationId = scope.organizationId
                    variant.position = index
                    variant.landingPageId = mode == .landingPages ? target : nil
                    variant.formId = mode == .forms ? target : nil
                    variant.weight = weights[index]
                    built.append(variant)
                }
                planned = Planned(variants: built, replaced: true, weightsChanged: true)
            } else if status != .decided {
                let same =
                    targets.count == current.count
                    && zip(targets, current).allSatisfy { $0 == ($1.landingPageId ?? $1.formId) }
                if !same {
                    errors.add(
                        "variants",
                        "Les variantes d'une campagne lancée ne changent plus : seuls leurs poids peuvent changer (cela ouvre une nouvelle phase)."
                    )
                } else if weights != current.map(\.weight) {
                    for (variant, weight) in zip(current, weights) { variant.weight = weight }
                    planned.weightsChanged = true
                }
            }
        } else if creating {
            errors.add("variants", "Il faut au moins deux variantes.")
        } else if draft && input.mode != nil
            && current.contains(where: {
                (mode == .landingPages ? $0.landingPageId : $0.formId) == nil
            })
        {
            errors.add("variants", "Le mode a changé : donnez les variantes de ce mode.")
        }

        if let code = input.code?.trimmingCharacters(in: .whitespaces).uppercased(), !code.isEmpty {
            if !draft && code != campaign.code {
                errors.add("code", "Le code d'une campagne lancée ne change plus (il est dans les annonces).")
            } else if PageCode.isValid(code) {
                campaign.code = code
            } else {
                errors.add("code", "Code invalide : lettres majuscules, chiffres et tirets (ex. AB-001).")
            }
        } else if creating {
            campaign.code = try await nextCode(scope: scope, on: db)
        }
        try errors.throwIfAny()
        var taken = Campaign.query(on: db).filter(\.$organizationId == scope.organizationId)
            .filter(\.$code == campaign.code)
        if let id = campaign.id { taken = taken.filter(\.$id != id) }
        if try await taken.count() > 0 {
            throw AppError.conflict(field: "code", message: "Le code « \(campaign.code) » est déjà utilisé.")
        }
        return planned
    }

    private static func findForm(_ raw: String?, scope: TenantScope, on db: any Database) async throws -> Form? {
        guard let raw, let id = UUID(uuidString: raw.trimmedText) else { return nil }
        return try await scope.query(Form.self, on: db).filter(\.$id == id).first()
    }

    private static func findPage(_ raw: String?, scope: TenantScope, on db: any Database) async throws
        -> LandingPage?
    {
        guard let raw, let id = UUID(uuidString: raw.trimmedText) else { return nil }
        return try await scope.query(LandingPage.self, on: db).filter(\.$id == id).first()
    }

    /// The campaigns (not decided) a landing page or a form takes part in, for their brief.
    static func links(landingPageId: UUID?, formId: UUID?, scope: TenantScope, on db: any Database) async throws
        -> [BriefInput.CampaignLink]
    {
        let ids = [landingPageId, formId].compactMap { $0 }
        guard !ids.isEmpty else { return [] }
        let open = [CampaignStatus.draft, .running, .stopped].map(\.rawValue)
        let asVariant = try await CampaignVariant.query(on: db).filter(\.$organizationId == scope.organizationId)
            .group(.or) { $0.filter(\.$landingPageId ~~ ids).filter(\.$formId ~~ ids) }.all().map(\.campaignId)
        let campaigns = try await scope.query(Campaign.self, on: db).filter(\.$statusRaw ~~ open)
            .group(.or) {
                $0.filter(\.$id ~~ asVariant).filter(\.$landingPageId ~~ ids).filter(\.$formId ~~ ids)
            }
            .sort(\.$code).all()
        return campaigns.map {
            BriefInput.CampaignLink(
                code: $0.code, name: $0.name, statusLabel: $0.status.label,
                formsBehindThisPage: $0.mode == .forms && $0.landingPageId != nil && $0.landingPageId == landingPageId)
        }
    }

    static func nextCode(scope: TenantScope, on db: any Database) async throws -> String {
        let existing = try await Campaign.query(on: db).filter(\.$organizationId == scope.organizationId)
            .filter(\.$code, .custom("LIKE"), "AB-%").all().map(\.code)
        return PageCode.next(prefix: "AB", existing: existing)
    }
}

/// The pages a campaign sends to: codes, names and addresses of its variants and fixed side.
struct CampaignTargets: Sendable {
    struct Target: Sendable {
        let code: String
        let name: String
        let url: String?
    }

    let byId: [UUID: Target]
    /// The fixed side: the form (mode lps) or the landing page (mode forms).
    let fixed: Target?

    static func load(_ campaign: Campaign, variants: [CampaignVariant], on db: any Database) async throws
        -> CampaignTargets
    {
        let org = campaign.organizationId
        let pageIds = variants.compactMap(\.landingPageId) + [campaign.landingPageId].compactMap { $0 }
        let formIds = variants.compactMap(\.formId) + [campaign.formId].compactMap { $0 }
        var byId: [UUID: Target] = [:]
        if !pageIds.isEmpty {
            for page in try await LandingPage.query(on: db).filter(\.$organizationId == org)
                .filter(\.$id ~~ pageIds).all()
            {
                byId[page.id!] = Target(
                    code: page.code, name: page.name, url: page.url.flatMap { Check.isHTTPURL($0) ? $0 : nil })
            }
        }
        if !formIds.isEmpty {
            for form in try await Form.query(on: db).filter(\.$organizationId == org).filter(\.$id ~~ formIds).all() {
                byId[form.id!] = Target(
                    code: form.code, name: form.name, url: form.url.flatMap { Check.isHTTPURL($0) ? $0 : nil })
            }
        }
        let fixedId = campaign.mode == .landingPages ? campaign.formId : campaign.landingPageId
        return CampaignTargets(byId: byId, fixed: fixedId.flatMap { byId[$0] })
    }

    func target(of variant: CampaignVariant) -> Target? {
        (variant.landingPageId ?? variant.formId).flatMap { byId[$0] }
    }
    func url(of variant: CampaignVariant) -> String? { target(of: variant)?.url }
    func code(of variant: CampaignVariant) -> String { target(of: variant)?.code ?? "?" }
    /// Where the entry link sends a visitor of mode `forms` (the landing page).
    var entryURL: String? { fixed?.url }
}
