import Foundation

/// How the first version's values become LeadHub's: products, statuses, roles, commandes, limits.
/// Each rule says when it had to change a value, so that the import report can list it.
public enum V1Mapping {
    /// The first version's product names (`panneaux`, `pompes`, `isolation`, `solaire`, `pac`…) as
    /// LeadHub's product codes; nil when unknown.
    public static func product(_ raw: String?) -> String? {
        guard let folded = raw.map({ LeadSubmission.fold($0.trimmedText) }), !folded.isEmpty else { return nil }
        switch folded {
        case "pv", "panneaux", "panneau", "solaire", "panneaux solaires", "photovoltaique", "panneaux_solaires":
            return "PV"
        case "pac", "pompes", "pompe", "pompe a chaleur", "pompes a chaleur", "pompe_a_chaleur": return "PAC"
        case "ite", "isolation", "isolation exterieure", "isolation_exterieure": return "ITE"
        default: return nil
        }
    }

    /// What an old lead's `api_status` says, in LeadHub's words.
    public struct LeadState: Equatable, Sendable {
        public let lead: LeadStatus
        /// nil: no delivery was ever planned (the lead stays visible as not sent).
        public let delivery: DeliveryStatus
        /// True when the status was not one the first version wrote (then parked as not sent).
        public let unknown: Bool
    }

    /// `success` → delivered; `duplicate` (the CRM answered "doublon") → CRM duplicate;
    /// `duplicate_today` → LeadHub duplicate, never sent; `queued`, `pending`, `timeout`,
    /// `connection_error`, `server_error` → waiting, delivered by LeadHub's outbox; `failed` →
    /// refused (or exhausted when its queue entry said so); `no_config`, `no_crm` → not sent.
    public static func leadState(apiStatus raw: String?, queueStatus: String? = nil) -> LeadState {
        let status = (raw ?? "").trimmedText.lowercased()
        if queueStatus == "exhausted" { return LeadState(lead: .failed, delivery: .exhausted, unknown: false) }
        switch status {
        case "success", "sent", "envoye": return LeadState(lead: .delivered, delivery: .delivered, unknown: false)
        case "duplicate", "doublon": return LeadState(lead: .crmDuplicate, delivery: .duplicate, unknown: false)
        case "duplicate_today": return LeadState(lead: .duplicate, delivery: .notSent, unknown: false)
        case "queued", "pending", "timeout", "connection_error", "server_error", "processing":
            return LeadState(lead: .received, delivery: .retrying, unknown: false)
        case "failed", "error": return LeadState(lead: .failed, delivery: .refused, unknown: false)
        case "exhausted": return LeadState(lead: .failed, delivery: .exhausted, unknown: false)
        case "no_config", "no_crm": return LeadState(lead: .notSent, delivery: .notSent, unknown: false)
        default: return LeadState(lead: .notSent, delivery: .notSent, unknown: true)
        }
    }

    /// Roles: admin, editor, viewer; anything else becomes viewer (the least right).
    public static func role(_ raw: String?) -> (role: Role, changed: Bool) {
        switch (raw ?? "").trimmedText.lowercased() {
        case "admin", "administrateur": return (.admin, false)
        case "editor", "editeur", "éditeur": return (.editor, false)
        case "viewer", "lecteur": return (.viewer, false)
        default: return (.viewer, true)
        }
    }

    /// `commandes` `{"PAC": ["75", "92"]}` as LeadHub orders: active, with their départements
    /// (normalized, unknown codes dropped and returned), products mapped.
    public static func orders(_ commandes: JSONValue?) -> (orders: [String: Order], dropped: [String]) {
        guard case .object(let fields)? = commandes else { return ([:], []) }
        var orders: [String: Order] = [:]
        var dropped: [String] = []
        for (rawProduct, value) in fields.sorted(by: { $0.key < $1.key }) {
            guard let product = product(rawProduct) else {
                dropped.append(rawProduct)
                continue
            }
            var departements: [String] = []
            if case .array(let items) = value {
                for item in items {
                    guard let code = item.text?.trimmedText.uppercased(), !code.isEmpty else { continue }
                    let normalized = code.count == 1 ? "0" + code : code
                    if Departement.isValid(normalized) {
                        if !departements.contains(normalized) { departements.append(normalized) }
                    } else {
                        dropped.append("\(product):\(code)")
                    }
                }
            }
            var order = orders[product] ?? Order(active: true, departements: [])
            order.departements += departements.filter { !order.departements.contains($0) }
            order.active = !order.departements.isEmpty
            orders[product] = order
        }
        return (orders, dropped)
    }

    /// `routing_limits` `{"PV": 0, "PAC": 100}`: 0 meant unlimited (no limit is stored).
    public static func limits(_ value: JSONValue?) -> [String: Int] {
        guard case .object(let fields)? = value else { return [:] }
        var limits: [String: Int] = [:]
        for (rawProduct, limit) in fields {
            guard let product = product(rawProduct), let number = limit.text.flatMap(Double.init), number > 0 else {
                continue
            }
            limits[product] = Int(number)
        }
        return limits
    }

    /// `lead_prices` `{"PV": 20.0}` in euros.
    public static func prices(_ value: JSONValue?) -> [String: Double] {
        guard case .object(let fields)? = value else { return [:] }
        var prices: [String: Double] = [:]
        for (rawProduct, price) in fields {
            guard let product = product(rawProduct), let euros = price.text.flatMap(Double.init), euros >= 0 else {
                continue
            }
            prices[product] = euros
        }
        return prices
    }

    /// How LeadHub delivers to a first-version CRM: ZR7 and MDL by their slug or name, else a webhook.
    public static func deliveryKind(slug: String?, name: String?) -> DeliveryKind {
        let text = LeadSubmission.fold((slug ?? "") + " " + (name ?? ""))
        if text.contains("zr7") { return .zr7 }
        if text.contains("mdl") || text.contains("maison du lead") { return .mdl }
        return .webhook
    }

    public static func diffusionCategory(_ raw: String?) -> DiffusionCategory {
        DiffusionCategory(rawValue: (raw ?? "").trimmedText.lowercased()) ?? .other
    }

    /// `gtm`, `redirect`, `none`; the first version's `both` keeps GTM (the thank-you page stays the
    /// form's redirect).
    public static func trackingType(_ raw: String?) -> (type: TrackingType, changed: Bool) {
        let text = (raw ?? "").trimmedText.lowercased()
        if text.isEmpty { return (.redirect, false) }
        if text == "both" { return (.gtm, true) }
        if let type = TrackingType(rawValue: text) { return (type, false) }
        return (.none, true)
    }

    public static func publication(_ raw: String?) -> PublicationStatus {
        (raw ?? "").trimmedText.lowercased() == "archived" ? .archived : .active
    }

    public static func landingPageKind(_ raw: String?) -> LandingPageKind {
        (raw ?? "").trimmedText.lowercased() == "integrated" ? .integrated : .redirect
    }

    /// A first-version page code as LeadHub keeps it (capitals, digits and dashes, 40 at most:
    /// `lp_tab v1` → `LP-TAB-V1`). The compatibility layer reads incoming codes through the same
    /// rule, so a page whose code had to change still finds its LP or form.
    public static func code(_ raw: String?) -> String? {
        guard let text = raw?.trimmedText, !text.isEmpty else { return nil }
        var out = ""
        for scalar in LeadSubmission.fold(text).uppercased().unicodeScalars {
            if ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty, !out.hasSuffix("-") {
                out.append("-")
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        let code = String(out.prefix(40))
        return PageCode.isValid(code) ? code : nil
    }
}
