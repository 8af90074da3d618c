import Crypto
import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// A visitor's stored place in a campaign phase: the variant, whether a robot, how many visits.
enum CampaignAssignment {
    /// The variant for this visitor: the stored one, else the cumulative-weight range holding
    /// SHA-256(seed : visitor id), stored now. Each call is one exposure.
    static func assign(
        _ campaign: Campaign, variants: [CampaignVariant], visitorId: String, isBot: Bool, now: Date,
        on db: any Database
    ) async throws -> CampaignVariant {
        let sql = db as! any SQLDatabase
        let campaignId = try campaign.requireID()
        struct Row: Decodable { let variant_id: UUID }
        func stored() async throws -> CampaignVariant? {
            let row = try await sql.select().column("variant_id").from("campaign_assignments")
                .where("campaign_id", .equal, campaignId).where("phase", .equal, campaign.phase)
                .where("visitor_id", .equal, visitorId).first(decoding: Row.self)
            return row.flatMap { row in variants.first { $0.id == row.variant_id } }
        }
        if let known = try await stored() {
            try await sql.update("campaign_assignments").set(SQLIdentifier("exposures"), to: SQLRaw("exposures + 1"))
                .set("last_seen_at", to: now).where("campaign_id", .equal, campaignId)
                .where("phase", .equal, campaign.phase).where("visitor_id", .equal, visitorId).run()
            return known
        }
        let chosen = variants[pick(seed: campaign.seed, visitorId: visitorId, weights: variants.map(\.weight))]
        let start = campaign.phaseStartedAt ?? now
        try await sql.insert(into: "campaign_assignments")
            .columns(
                "id", "organization_id", "campaign_id", "phase", "visitor_id", "variant_id", "is_bot", "exposures",
                "first_seen_at", "last_seen_at", "phase_day"
            )
            .values(
                SQLBind(UUID()), SQLBind(campaign.organizationId), SQLBind(campaignId), SQLBind(campaign.phase),
                SQLBind(visitorId), SQLBind(try chosen.requireID()), SQLBind(isBot), SQLBind(1), SQLBind(now),
                SQLBind(now), SQLBind(Int(CampaignRules.elapsedDays(from: start, to: now)))
            )
            .ignoringConflicts(with: ["campaign_id", "phase", "visitor_id"]).run()
        // Two first visits at once: both answer with the row that won.
        return try await stored() ?? chosen
    }

    /// The variant index of a visitor (pure but for the hash): the same on every server, every day.
    static func pick(seed: String, visitorId: String, weights: [Int]) -> Int {
        let digest = SHA256.hash(data: Data(CampaignSplit.hashInput(seed: seed, visitorId: visitorId).utf8))
        return CampaignSplit.variantIndex(position: CampaignSplit.position(digest: digest), weights: weights)
    }

    static func delete(campaignId: UUID, on db: any Database) async throws {
        try await (db as! any SQLDatabase).delete(from: "campaign_assignments")
            .where("campaign_id", .equal, campaignId).run()
    }
}

/// `GET /c/{campaign_code}?org=ORG&utm_…`: the entry link of a campaign, used in ads. Assigns the
/// visitor (sticky, from a first-party cookie) and answers a 302 to the variant, with the campaign
/// parameters and the visitor id that the tracker on the page adopts.
struct CampaignEntryController {
    static let visitorCookie = "lh_vid"
    /// 13 months, the longest the CNIL accepts for an audience-measurement cookie.
    static let cookieMaxAge = 396 * 86_400

    @Sendable func enter(req: Request) async throws -> Response {
        let organizationId = try await TrackingController.organization(req)
        let code = (req.parameters.get("campaign_code") ?? "").uppercased()
        guard
            let campaign = try await Campaign.query(on: req.db).filter(\.$organizationId == organizationId)
                .filter(\.$code == code).first()
        else { throw Abort(.notFound, reason: "Campagne inconnue : \(code.prefix(32)).") }
        let variants = try await CampaignService.variants(of: campaign, on: req.db)
        guard let control = variants.first else { throw Abort(.notFound, reason: "Campagne sans variante.") }
        var parameters = TrackingController.campaign(req)
        let visitorId = Self.visitor(req) ?? parameters["lh_visitor"]!
        parameters["lh_visitor"] = visitorId
        let variant: CampaignVariant
        switch campaign.status {
        case .running:
            variant = try await Self.variant(of: campaign, variants: variants, visitorId: visitorId, req: req)
        case .decided:
            variant = variants.first { $0.id == campaign.winnerVariantId } ?? control
        case .draft, .stopped:
            variant = control
        }
        let targets = try await CampaignTargets.load(campaign, variants: [variant], on: req.db)
        let destination: String?
        switch campaign.mode {
        case .landingPages:
            destination = targets.url(of: variant)
            parameters["lp"] = targets.code(of: variant)
        case .forms:
            destination = targets.entryURL
        }
        guard let destination else {
            throw Abort(.notFound, reason: "La campagne \(campaign.code) n'a pas de page avec une adresse.")
        }
        let response = TrackingController.redirect(to: AttributionCarry.url(destination, adding: parameters))
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        response.cookies[Self.visitorCookie] = HTTPCookies.Value(
            string: visitorId, maxAge: Self.cookieMaxAge, path: "/", isSecure: req.isHTTPS, isHTTPOnly: true,
            sameSite: .lax)
        return response
    }

    /// The visitor's variant of a running campaign, stored with this visit. An address past the
    /// tracking limit (a robot hammering the link) is still sent on, by the same hash, but its
    /// visits are not stored: the link never fails an ad click, and nobody fills the table.
    static func variant(of campaign: Campaign, variants: [CampaignVariant], visitorId: String, req: Request)
        async throws -> CampaignVariant
    {
        if let address = req.clientIP, req.application.eventLimits.take(address, now: req.now) != nil {
            return variants[
                CampaignAssignment.pick(seed: campaign.seed, visitorId: visitorId, weights: variants.map(\.weight))]
        }
        return try await CampaignAssignment.assign(
            campaign, variants: variants, visitorId: visitorId,
            isBot: req.application.botVerdicts.isBot(req.headers.first(name: .userAgent)), now: req.now, on: req.db)
    }

    /// The visitor id of the cookie, when it is one LeadHub could have written.
    static func visitor(_ req: Request) -> String? {
        let value = req.cookies[visitorCookie]?.string
        return EventSubmission.isValidId(value) ? value : nil
    }

    /// Mode `forms`: where the landing page's CTA link (`/r/{lp_code}`) sends this visitor, when a
    /// campaign runs on the page (its stored variant, assigned now if new), or was decided.
    static func formURL(
        landingPageId: UUID, organizationId: UUID, visitorId: String, req: Request
    ) async throws -> String? {
        guard
            let campaign = try await Campaign.query(on: req.db).filter(\.$organizationId == organizationId)
                .filter(\.$landingPageId == landingPageId).filter(\.$modeRaw == CampaignMode.forms.rawValue)
                .filter(\.$statusRaw ~~ [CampaignStatus.running.rawValue, CampaignStatus.decided.rawValue])
                .sort(\.$createdAt, .descending).first()
        else { return nil }
        let variants = try await CampaignService.variants(of: campaign, on: req.db)
        guard !variants.isEmpty else { return nil }
        let variant: CampaignVariant
        if campaign.status == .decided {
            variant = variants.first { $0.id == campaign.winnerVariantId } ?? variants[0]
        } else {
            variant = try await Self.variant(of: campaign, variants: variants, visitorId: visitorId, req: req)
        }
        return try await CampaignTargets.load(campaign, variants: [variant], on: req.db).url(of: variant)
    }
}
