import Foundation

/// The first version's public calls, translated into LeadHub's: its field names, its placeholders
/// and the codes its scripts carried from LP to form (`?lp=LP-001&liaison=LP-001_PV-001`).
/// Live pages built from the first version's briefs keep calling with these payloads.
public enum V1Compat {
    /// Tracking calls of the first version (`POST /api/track/<name>`).
    public enum TrackCall: String, CaseIterable, Sendable {
        case lpVisit = "lp-visit"
        case ctaClick = "cta-click"
        case formStart = "form-start"

        public var eventType: TrackingEventType {
            switch self {
            case .lpVisit: .lpVisit
            case .ctaClick: .ctaClick
            case .formStart: .formStart
            }
        }
    }

    /// The names under which usage is counted (`v1_calls.endpoint`).
    public enum Endpoint: String, CaseIterable, Sendable {
        case leadsV1 = "v1/leads"
        case submitLead = "submit-lead"
        case lpVisit = "track/lp-visit"
        case ctaClick = "track/cta-click"
        case formStart = "track/form-start"

        public init(_ call: TrackCall) {
            switch call {
            case .lpVisit: self = .lpVisit
            case .ctaClick: self = .ctaClick
            case .formStart: self = .formStart
            }
        }

        /// How the settings page names it.
        public var label: String {
            switch self {
            case .leadsV1: "Lead (API v1, clé globale)"
            case .submitLead: "Lead (submit-lead, clé de formulaire)"
            case .lpVisit: "Visite de LP"
            case .ctaClick: "Clic CTA"
            case .formStart: "Début de formulaire"
            }
        }
    }

    /// The first version's briefs wrote `LP-XXX` where no landing page was chosen.
    public static let placeholderLandingPage = "LP-XXX"

    /// Fields of the first version's bodies that are credentials or bookkeeping, never lead data.
    static let droppedFields: Set<String> = ["api_key", "form_id", "register_date"]

    /// The LP code of a first-version "code de liaison" (`LP-001_PV-001` → `LP-001`), knowing the
    /// form's code when it can; nil for the placeholder or an unreadable code.
    public static func landingPageCode(liaison: String?, formCode: String?) -> String? {
        guard let liaison = liaison?.trimmedText, !liaison.isEmpty else { return nil }
        let candidate: Substring
        if let formCode, !formCode.isEmpty, liaison.uppercased().hasSuffix("_" + formCode.uppercased()) {
            candidate = liaison.dropLast(formCode.count + 1)
        } else if let cut = liaison.lastIndex(of: "_") {
            candidate = liaison[..<cut]
        } else {
            return nil
        }
        return landingPageCode(String(candidate))
    }

    /// An LP code as given, upper-cased; nil when empty or the first version's placeholder.
    public static func landingPageCode(_ raw: String?) -> String? {
        guard let code = V1Mapping.code(raw), code != placeholderLandingPage else { return nil }
        return code
    }

    /// A first-version lead body as LeadHub's lead API reads it. `formCode` is the form's code when
    /// known (to read the LP out of the liaison code).
    ///
    /// - `superficie_logement` is `surface_habitable`;
    /// - `api_key`, `form_id` and `register_date` are dropped (a key is never lead data);
    /// - `lp_code` comes from the body, else the liaison code; `LP-XXX` means none;
    /// - a `departement` that is just the first two digits of a valid postal code (what the first
    ///   version's scripts sent: "20" for Corsica, "97" for overseas) gives way to the postal code;
    /// - the liaison code itself is kept as an extra field.
    public static func leadBody(_ body: [String: JSONValue], formCode: String?) -> [String: JSONValue] {
        var out = body
        for field in droppedFields { out.removeValue(forKey: field) }
        if let surface = out.removeValue(forKey: "superficie_logement"), out["surface_habitable"] == nil {
            out["surface_habitable"] = surface
        }
        let lp =
            landingPageCode(out["lp_code"]?.text)
            ?? landingPageCode(liaison: out["liaison_code"]?.text, formCode: formCode)
        if let lp { out["lp_code"] = .string(lp) } else { out.removeValue(forKey: "lp_code") }
        if let postal = out["code_postal"]?.text?.replacingOccurrences(of: " ", with: ""),
            let fromPostal = Departement.from(postalCode: postal),
            let given = out["departement"]?.text?.trimmedText, given.count == 2,
            postal.hasPrefix(given), given != fromPostal
        {
            out.removeValue(forKey: "departement")
        }
        return out
    }

    /// What an accepted lead's answer adds for the first version's page code, which reads
    /// `success`, `lead_id`, `status` and `message`.
    public static func acceptedMessage(duplicate: Bool) -> String {
        duplicate ? "Lead enregistré (doublon du même numéro pour ce produit, non envoyé)" : "Lead enregistré"
    }

    /// The message of a `201` for each answered status.
    public static func acceptedMessage(status: String) -> String {
        switch status {
        case "duplicate": acceptedMessage(duplicate: true)
        case "incomplete": "Lead enregistré, à compléter : certains champs manquent ou sont invalides"
        case "invalid": "Lead enregistré, à vérifier : le numéro de téléphone est invalide"
        default: acceptedMessage(duplicate: false)
        }
    }
}

extension V1Compat {
    /// The first version's global key began so (`crm_…`).
    public static let globalKeyPrefix = "crm_"

    public static let disabledMessage =
        "La compatibilité avec la première version est désactivée pour cette organisation : utilisez une clé LeadHub (voir le nouveau brief)."
}
