import Foundation

/// What a CRM currently buys for one product type: where, and how many.
public struct Order: Sendable, Equatable, Codable {
    public var active: Bool
    /// Département codes ("75", "2A", "971"…).
    public var departements: [String]
    public var weeklyQuota: Int?
    public var monthlyQuota: Int?

    public init(active: Bool, departements: [String], weeklyQuota: Int? = nil, monthlyQuota: Int? = nil) {
        self.active = active
        self.departements = departements
        self.weeklyQuota = weeklyQuota
        self.monthlyQuota = monthlyQuota
    }

    enum CodingKeys: String, CodingKey {
        case active, departements, weeklyQuota = "weekly_quota", monthlyQuota = "monthly_quota"
    }

    public func covers(_ departement: String?) -> Bool {
        guard active, let departement else { return false }
        return departements.contains(departement)
    }
}

/// How many leads a CRM has already been given, for the quotas and the inter-CRM limit.
public struct RoutingCounts: Sendable, Equatable {
    /// Leads routed to the CRM for the product this week (Monday to Sunday, Europe/Paris).
    public var week: Int
    /// Leads routed to the CRM for the product this month (Europe/Paris).
    public var month: Int
    /// Leads rerouted to the CRM from other CRMs' accounts this month.
    public var reroutedMonth: Int

    public init(week: Int = 0, month: Int = 0, reroutedMonth: Int = 0) {
        self.week = week
        self.month = month
        self.reroutedMonth = reroutedMonth
    }
}

/// A CRM as routing sees it, for the lead's product type.
public struct RoutingCrm: Sendable, Equatable {
    public let id: UUID
    public let slug: String
    public let name: String
    /// The commande for the lead's product, if any.
    public let order: Order?
    /// The most rerouted leads of the product it takes a month; nil: no limit.
    public let monthlyRoutingLimit: Int?
    public let counts: RoutingCounts

    public init(id: UUID, slug: String, name: String, order: Order?, monthlyRoutingLimit: Int?, counts: RoutingCounts) {
        self.id = id
        self.slug = slug
        self.name = name
        self.order = order
        self.monthlyRoutingLimit = monthlyRoutingLimit
        self.counts = counts
    }

    /// The quotas of its commande still leave room for one lead.
    var hasQuotaLeft: Bool {
        guard let order else { return false }
        if let weekly = order.weeklyQuota, counts.week >= weekly { return false }
        if let monthly = order.monthlyQuota, counts.month >= monthly { return false }
        return true
    }

    /// It buys this département, within its quotas.
    func buys(_ departement: String?) -> Bool {
        (order?.covers(departement) ?? false) && hasQuotaLeft
    }

    /// It takes one more lead from another CRM this month.
    var takesReroutedLeads: Bool {
        guard let limit = monthlyRoutingLimit else { return true }
        return counts.reroutedMonth < limit
    }
}

public struct RoutingInput: Sendable {
    public let productType: String
    public let departement: String?
    /// The form says: always to the account's origin CRM.
    public let excludedFromRouting: Bool
    /// The lead is a duplicate of one already received: stored, never sent.
    public let isDuplicate: Bool
    /// The CRM that owns the lead's account.
    public let originCrmId: UUID
    /// Every CRM of the organization.
    public let crms: [RoutingCrm]

    public init(
        productType: String, departement: String?, excludedFromRouting: Bool, isDuplicate: Bool, originCrmId: UUID,
        crms: [RoutingCrm]
    ) {
        self.productType = productType
        self.departement = departement
        self.excludedFromRouting = excludedFromRouting
        self.isDuplicate = isDuplicate
        self.originCrmId = originCrmId
        self.crms = crms
    }
}

public enum RoutingReason: Sendable, Equatable {
    case originHasOrder
    case reroutedTo(slug: String)
    case noOrderFallbackOrigin
    case excludedFromRouting
    case duplicateNotSent
    case noDestination

    /// The code stored on the lead and returned by the API.
    public var code: String {
        switch self {
        case .originHasOrder: "origin_has_order"
        case .reroutedTo(let slug): "rerouted_to_" + slug
        case .noOrderFallbackOrigin: "no_order_fallback_origin"
        case .excludedFromRouting: "excluded_from_routing"
        case .duplicateNotSent: "duplicate_not_sent"
        case .noDestination: "no_destination"
        }
    }
}

/// Where a lead goes and why, in French for the people who read the lead.
public struct RoutingDecision: Sendable, Equatable {
    /// The CRM the lead is sent to; nil when it is not sent.
    public let destination: UUID?
    public let reason: RoutingReason
    public let explanation: String

    /// Sent to a CRM other than its origin: billable between the two CRMs.
    public var isRerouted: Bool {
        if case .reroutedTo = reason { return true }
        return false
    }
}

/// The routing rule of `PRODUCT.md`: duplicates are not sent; a form excluded from routing goes to
/// its origin CRM; the origin CRM when its commande covers the product and département (within
/// its quotas); else another CRM whose commande covers them, within its quotas and its monthly
/// inter-CRM limit (the one that received the fewest rerouted leads this month, then by name);
/// else back to the origin CRM.
public enum Router {
    public static func route(_ input: RoutingInput) -> RoutingDecision {
        if input.isDuplicate {
            return RoutingDecision(
                destination: nil, reason: .duplicateNotSent,
                explanation: "Doublon d'un lead déjà reçu (même téléphone, même produit) : non envoyé.")
        }
        guard let origin = input.crms.first(where: { $0.id == input.originCrmId }) else {
            return RoutingDecision(
                destination: nil, reason: .noDestination,
                explanation: "Le CRM d'origine du compte est introuvable : aucun destinataire.")
        }
        let place = input.departement.map { "le département \($0)" } ?? "un lead sans département"
        if input.excludedFromRouting {
            return RoutingDecision(
                destination: origin.id, reason: .excludedFromRouting,
                explanation: "Formulaire exclu du routage : envoyé au CRM d'origine \(origin.name).")
        }
        if origin.buys(input.departement) {
            return RoutingDecision(
                destination: origin.id, reason: .originHasOrder,
                explanation: "\(origin.name) (CRM d'origine) a une commande \(input.productType) pour \(place).")
        }
        let candidates = input.crms
            .filter { $0.id != origin.id && $0.buys(input.departement) && $0.takesReroutedLeads }
            .sorted {
                ($0.counts.reroutedMonth, $0.name, $0.id.text) < (
                    $1.counts.reroutedMonth, $1.name, $1.id.text
                )
            }
        let why = originShortfall(origin, departement: input.departement, product: input.productType)
        if let chosen = candidates.first {
            return RoutingDecision(
                destination: chosen.id, reason: .reroutedTo(slug: chosen.slug),
                explanation:
                    "\(why) Redirigé vers \(chosen.name), qui a une commande \(input.productType) pour \(place) (lead facturable entre CRM)."
            )
        }
        return RoutingDecision(
            destination: origin.id, reason: .noOrderFallbackOrigin,
            explanation: "\(why) Aucun autre CRM ne le prend : envoyé au CRM d'origine \(origin.name).")
    }

    private static func originShortfall(_ origin: RoutingCrm, departement: String?, product: String) -> String {
        guard let order = origin.order, order.active else {
            return "\(origin.name) (CRM d'origine) n'a pas de commande \(product) active."
        }
        guard order.covers(departement) else {
            return departement.map { "La commande \(product) de \(origin.name) ne couvre pas le département \($0)." }
                ?? "Lead sans département : aucune commande ne peut le couvrir."
        }
        return "La commande \(product) de \(origin.name) a atteint son quota."
    }
}

/// The periods quotas and limits count in: the ISO week and the calendar month, in Europe/Paris.
public enum RoutingPeriod {
    /// "2026-W48" and "2026-11" for a moment of that week and month in Paris.
    public static func keys(for date: Date, timeZone: TimeZone = FrenchFormat.parisTimeZone) -> (
        week: String, month: String
    ) {
        var iso = Calendar(identifier: .iso8601)
        iso.timeZone = timeZone
        let week = iso.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = timeZone
        let month = gregorian.dateComponents([.year, .month], from: date)
        return (
            String(format: "%04d-W%02d", week.yearForWeekOfYear ?? 0, week.weekOfYear ?? 0),
            String(format: "%04d-%02d", month.year ?? 0, month.month ?? 0)
        )
    }
}
