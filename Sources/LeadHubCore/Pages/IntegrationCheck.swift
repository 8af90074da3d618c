import Foundation

/// "Vérifier l'intégration": from what arrived recently for a landing page and/or a form, what is
/// missing, in the order a developer fixes it (script, CTA, form, sending, attribution).
public enum IntegrationCheck {
    public struct Counts: Equatable, Sendable {
        public var visits: Int
        public var ctaClicks: Int
        public var formStarts: Int
        public var leads: Int

        public init(visits: Int, ctaClicks: Int, formStarts: Int, leads: Int) {
            self.visits = visits
            self.ctaClicks = ctaClicks
            self.formStarts = formStarts
            self.leads = leads
        }
    }

    public struct RecentLead: Equatable, Sendable {
        public var hasLandingPage: Bool
        public var hasSession: Bool

        public init(hasLandingPage: Bool, hasSession: Bool) {
            self.hasLandingPage = hasLandingPage
            self.hasSession = hasSession
        }
    }

    /// Empty when everything arrives. `expectsLandingPage`: leads should name an LP (the brief is
    /// about one, or landing pages lead to this form).
    public static func missing(
        lpCode: String?, formCode: String?, integrated: Bool, counts: Counts, recentLeads: [RecentLead],
        expectsLandingPage: Bool, days: Int
    ) -> [String] {
        var out: [String] = []
        let period = "sur \(days) jours"
        if let lpCode {
            if counts.visits == 0 {
                out.append(
                    "Aucune visite (`lp_visit`) reçue \(period) pour \(lpCode) : le script n'est pas sur la landing page, ou `data-org` / `data-lp` sont faux."
                )
            } else if counts.ctaClicks == 0 {
                out.append(
                    "Des visites mais aucun clic CTA (`cta_click`) \(period) : les boutons d'action ne portent pas `data-leadhub-cta` (ou le sélecteur `data-cta` ne trouve rien)."
                )
            }
        }
        if let formCode {
            if counts.formStarts == 0 {
                if lpCode != nil && counts.ctaClicks > 0 && !integrated {
                    out.append(
                        "Des clics CTA mais aucun démarrage de formulaire (`form_start`) \(period) : le script n'est pas sur le formulaire \(formCode), ou `data-form` est faux."
                    )
                } else if counts.leads == 0 || lpCode == nil || integrated {
                    out.append(
                        "Aucun démarrage de formulaire (`form_start`) reçu \(period) pour \(formCode) : le script n'est pas sur le formulaire, ou `data-form` est faux."
                    )
                }
            } else if counts.leads == 0 {
                out.append(
                    "Des démarrages de formulaire mais aucun lead \(period) : vérifiez l'envoi (`LeadHub.submit`, la clé du formulaire, les origines autorisées) et les erreurs affichées au visiteur."
                )
            }
        }
        if !recentLeads.isEmpty {
            let withoutSession = recentLeads.filter { !$0.hasSession }.count
            if withoutSession > 0 {
                out.append(
                    "\(withoutSession) des \(recentLeads.count) derniers leads sont arrivés sans session : envoyés sans le script de suivi (`LeadHub.submit`), ils ne sont pas reliés à une visite."
                )
            }
            let withoutPage = recentLeads.filter { !$0.hasLandingPage }.count
            if expectsLandingPage && withoutPage > 0 {
                out.append(
                    "\(withoutPage) des \(recentLeads.count) derniers leads n'ont pas de landing page : `lp_code` n'est pas transmis (paramètre `lp` perdu entre la landing page et le formulaire, ou `data-lp` absent)."
                )
            }
        }
        return out
    }
}
