import Fluent
import Foundation
import LeadHubCore
import Vapor

/// A campaign as the API shows it: settings, variants with their figures, and the verdict.
struct CampaignDTO: Content {
    struct Variant: Content {
        let id: UUID
        let position: Int
        let name: String
        let lpId: UUID?
        let formId: UUID?
        let code: String
        let label: String
        let url: String?
        let weight: Int
        let isControl: Bool
        let visitors: Int
        let leads: Int
        let exposures: Int
        let conversion: Double
        let conversionLow: Double
        let conversionHigh: Double
        let probabilityBest: Double
        let probabilityBeatsControl: Double?
        let lift: Double?
        let liftLow: Double?
        let liftHigh: Double?
        let expectedLoss: Double

        enum CodingKeys: String, CodingKey {
            case id, position, name, lpId = "lp_id", formId = "form_id", code, label, url, weight
            case isControl = "is_control", visitors, leads, exposures, conversion
            case conversionLow = "conversion_low", conversionHigh = "conversion_high"
            case probabilityBest = "probability_best", probabilityBeatsControl = "probability_beats_control"
            case lift, liftLow = "lift_low", liftHigh = "lift_high", expectedLoss = "expected_loss"
        }
    }

    struct Verdict: Content {
        let state: String
        let label: String
        let sentence: String
        let winnerVariantId: UUID?
        let toVerify: Bool
        let sampleRatioPValue: Double
        let elapsedDays: Double

        enum CodingKeys: String, CodingKey {
            case state, label, sentence, winnerVariantId = "winner_variant_id", toVerify = "to_verify"
            case sampleRatioPValue = "sample_ratio_p_value", elapsedDays = "elapsed_days"
        }
    }

    struct Phase: Content {
        let number: Int
        let weights: [Int]
        let startedAt: Date
        let endedAt: Date?

        enum CodingKeys: String, CodingKey { case number, weights, startedAt = "started_at", endedAt = "ended_at" }
    }

    struct Day: Content {
        let day: Int
        let visitors: [Int]
        let leads: [Int]
    }

    let id: UUID
    let code: String
    let name: String
    let mode: String
    let formId: UUID?
    let lpId: UUID?
    let status: String
    let statusLabel: String
    let minDays: Int
    let maxDays: Int
    let plannedVisitors: Int?
    let phase: Int
    let phaseStartedAt: Date?
    let startedAt: Date?
    let stoppedAt: Date?
    let decidedAt: Date?
    let winnerVariantId: UUID?
    let decisionNote: String?
    let entryURL: String
    let robots: Int
    let variants: [Variant]
    let verdict: Verdict
    let phases: [Phase]
    let days: [Day]
    let createdAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, code, name, mode, formId = "form_id", lpId = "lp_id", status, statusLabel = "status_label"
        case minDays = "min_days", maxDays = "max_days", plannedVisitors = "planned_visitors", phase
        case phaseStartedAt = "phase_started_at", startedAt = "started_at", stoppedAt = "stopped_at"
        case decidedAt = "decided_at", winnerVariantId = "winner_variant_id", decisionNote = "decision_note"
        case entryURL = "entry_url", robots, variants, verdict, phases, days, createdAt = "created_at"
    }
}

/// Everything a campaign page or answer needs, read once.
struct CampaignView: Sendable {
    let campaign: Campaign
    let variants: [CampaignVariant]
    let targets: CampaignTargets
    let phases: [CampaignPhase]
    let report: CampaignReport
    let entryURL: String

    static func load(_ campaign: Campaign, base: String, now: Date, on db: any Database) async throws
        -> CampaignView
    {
        let variants = try await CampaignService.variants(of: campaign, on: db)
        let organization = try await Organization.find(campaign.organizationId, on: db)
        return CampaignView(
            campaign: campaign, variants: variants,
            targets: try await CampaignTargets.load(campaign, variants: variants, on: db),
            phases: try await CampaignService.phases(of: campaign, on: db),
            report: try await CampaignResults.report(campaign, variants: variants, now: now, on: db),
            entryURL: "\(base)/c/\(campaign.code)?org=\(organization?.slug ?? "")")
    }

    var dto: CampaignDTO {
        let c = campaign
        let arms = report.verdict.arms
        return CampaignDTO(
            id: c.id!, code: c.code, name: c.name, mode: c.modeRaw, formId: c.formId, lpId: c.landingPageId,
            status: c.statusRaw, statusLabel: c.status.label, minDays: c.minDays, maxDays: c.maxDays,
            plannedVisitors: c.plannedVisitors, phase: c.phase, phaseStartedAt: c.phaseStartedAt,
            startedAt: c.startedAt, stoppedAt: c.stoppedAt, decidedAt: c.decidedAt, winnerVariantId: c.winnerVariantId,
            decisionNote: c.decisionNote, entryURL: entryURL, robots: report.robots,
            variants: variants.enumerated().map { position, v in
                let arm = position < arms.count ? arms[position] : nil
                let target = targets.target(of: v)
                return .init(
                    id: v.id!, position: v.position, name: v.name, lpId: v.landingPageId, formId: v.formId,
                    code: target?.code ?? "?", label: target?.name ?? "", url: target?.url, weight: v.weight,
                    isControl: position == 0, visitors: report.visitors[position], leads: report.leads[position],
                    exposures: report.exposures[position], conversion: arm?.conversion ?? 0,
                    conversionLow: arm?.conversionLow ?? 0, conversionHigh: arm?.conversionHigh ?? 1,
                    probabilityBest: arm?.probabilityBest ?? 0, probabilityBeatsControl: arm?.probabilityBeatsControl,
                    lift: arm?.lift, liftLow: arm?.liftLow, liftHigh: arm?.liftHigh,
                    expectedLoss: arm?.expectedLoss ?? 0)
            },
            verdict: .init(
                state: report.verdict.state.rawValue, label: report.verdict.state.label,
                sentence: report.verdict.sentence,
                winnerVariantId: report.verdict.winner.flatMap { $0 < variants.count ? variants[$0].id : nil },
                toVerify: report.verdict.toVerify, sampleRatioPValue: report.verdict.sampleRatioPValue,
                elapsedDays: (report.elapsedDays * 100).rounded() / 100),
            phases: phases.map {
                .init(number: $0.number, weights: $0.weights, startedAt: $0.startedAt, endedAt: $0.endedAt)
            },
            days: report.days.map { .init(day: $0.day, visitors: $0.visitors, leads: $0.leads) },
            createdAt: c.createdAt)
    }
}

/// `/api/admin/campaigns`: list, create, show (figures and verdict), change, delete, and the
/// actions start, stop and apply-winner.
struct CampaignsAPIController {
    struct ListResponse: Content {
        let items: [CampaignDTO]
    }

    @Sendable func index(req: Request) async throws -> ListResponse {
        let scope = try req.tenantScope()
        var items = [CampaignDTO]()
        for campaign in try await CampaignService.list(scope: scope, on: req.db) {
            items.append(try await CampaignView.load(campaign, base: req.publicBaseURL, now: req.now, on: req.db).dto)
        }
        return ListResponse(items: items)
    }

    @Sendable func show(req: Request) async throws -> CampaignDTO {
        let campaign = try await req.tenantScope().find(Campaign.self, req.id("campaign_id"), on: req.db)
        return try await CampaignView.load(campaign, base: req.publicBaseURL, now: req.now, on: req.db).dto
    }

    @Sendable func create(req: Request) async throws -> Response {
        let input = try req.content.decode(CampaignInput.self)
        let campaign = try await CampaignService.create(input, scope: try req.tenantScope(), now: req.now, on: req.db)
        return try await CampaignView.load(campaign, base: req.publicBaseURL, now: req.now, on: req.db).dto
            .encodeResponse(status: .created, for: req)
    }

    @Sendable func update(req: Request) async throws -> CampaignDTO {
        let input = try req.content.decode(CampaignInput.self)
        let campaign = try await CampaignService.update(
            req.id("campaign_id"), input, scope: try req.tenantScope(), now: req.now, on: req.db)
        return try await CampaignView.load(campaign, base: req.publicBaseURL, now: req.now, on: req.db).dto
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        try await CampaignService.delete(req.id("campaign_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
        return .noContent
    }

    struct ActionBody: Content {
        var variantId: UUID?
        var note: String?
        enum CodingKeys: String, CodingKey { case variantId = "variant_id", note }
    }

    func action(_ action: CampaignStatus.Action) -> @Sendable (Request) async throws -> CampaignDTO {
        { req in
            let body = (try? req.content.decode(ActionBody.self)) ?? ActionBody()
            let campaign = try await CampaignService.act(
                req.id("campaign_id"), action, variantId: body.variantId, note: body.note,
                scope: try req.tenantScope(), now: req.now, on: req.db)
            return try await CampaignView.load(campaign, base: req.publicBaseURL, now: req.now, on: req.db).dto
        }
    }
}
