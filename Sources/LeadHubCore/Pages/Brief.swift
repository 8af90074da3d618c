import Foundation

/// What a brief is generated from: the current configuration of a landing page, a form, or a
/// pair of them, read by the app at the moment of the request.
public struct BriefInput: Equatable, Sendable {
    public enum Mode: String, CaseIterable, Sendable {
        /// The landing page's CTA leads to the form on another page.
        case separate
        /// The form sits inside the landing page.
        case integrated

        public var label: String {
            switch self {
            case .separate: "Pages séparées (landing page, puis formulaire)"
            case .integrated: "Formulaire intégré à la landing page"
            }
        }
    }

    public struct LandingPageInfo: Equatable, Sendable {
        public var code: String
        public var name: String
        public var url: String?
        public var sourceName: String?
        public var archived: Bool
        /// The form this LP's CTA leads to in its configuration (code), if any.
        public var linkedFormCode: String?
        public var linkedFormURL: String?

        public init(
            code: String, name: String, url: String?, sourceName: String? = nil, archived: Bool = false,
            linkedFormCode: String? = nil, linkedFormURL: String? = nil
        ) {
            self.code = code
            self.name = name
            self.url = url
            self.sourceName = sourceName
            self.archived = archived
            self.linkedFormCode = linkedFormCode
            self.linkedFormURL = linkedFormURL
        }
    }

    public struct FormInfo: Equatable, Sendable {
        public var code: String
        public var name: String
        public var url: String?
        public var formKey: String
        public var productCode: String
        public var productLabel: String
        public var requiredFields: [LeadField]
        public var thankYouURL: String?
        public var metropolitanOnly: Bool
        public var allowedOrigins: [String]
        public var archived: Bool
        /// The published hosted form's public address (LeadHub serves the form itself).
        public var hostedURL: String?

        public init(
            code: String, name: String, url: String?, formKey: String, productCode: String, productLabel: String,
            requiredFields: [LeadField], thankYouURL: String?, metropolitanOnly: Bool = false,
            allowedOrigins: [String] = [], archived: Bool = false, hostedURL: String? = nil
        ) {
            self.hostedURL = hostedURL
            self.code = code
            self.name = name
            self.url = url
            self.formKey = formKey
            self.productCode = productCode
            self.productLabel = productLabel
            self.requiredFields = requiredFields
            self.thankYouURL = thankYouURL
            self.metropolitanOnly = metropolitanOnly
            self.allowedOrigins = allowedOrigins
            self.archived = archived
        }
    }

    /// An account's Google Tag Manager codes.
    public struct AccountCodes: Equatable, Sendable {
        public var accountName: String
        public var head: String?
        public var cta: String?
        public var conversion: String?

        public init(accountName: String, head: String?, cta: String?, conversion: String?) {
            self.accountName = accountName
            self.head = head
            self.cta = cta
            self.conversion = conversion
        }
    }

    public struct NamedLink: Equatable, Sendable {
        public var name: String
        public var url: String

        public init(_ name: String, _ url: String) {
            self.name = name
            self.url = url
        }
    }

    /// What the pages show of the account and the product: branding, media, legal texts, aids.
    public struct Identity: Equatable, Sendable {
        public var accountName: String
        public var domain: String?
        /// Logos and favicon, named ("Logo principal"…), only those set.
        public var logos: [NamedLink]
        public var primaryColor: String?
        public var secondaryColor: String?
        /// The account's named images and its media library files.
        public var images: [NamedLink]
        public var privacyPolicy: String?
        public var legalMentions: String?
        public var cgu: String?
        public var productLabel: String?
        public var aidAmountText: String?
        public var aids: [String]

        public init(
            accountName: String, domain: String? = nil, logos: [NamedLink] = [], primaryColor: String? = nil,
            secondaryColor: String? = nil, images: [NamedLink] = [], privacyPolicy: String? = nil,
            legalMentions: String? = nil, cgu: String? = nil, productLabel: String? = nil, aidAmountText: String? = nil,
            aids: [String] = []
        ) {
            self.accountName = accountName
            self.domain = domain
            self.logos = logos
            self.primaryColor = primaryColor
            self.secondaryColor = secondaryColor
            self.images = images
            self.privacyPolicy = privacyPolicy
            self.legalMentions = legalMentions
            self.cgu = cgu
            self.productLabel = productLabel
            self.aidAmountText = aidAmountText
            self.aids = aids
        }
    }

    /// An A/B campaign the page or form takes part in (not decided yet).
    public struct CampaignLink: Equatable, Sendable {
        public var code: String
        public var name: String
        public var statusLabel: String
        /// A campaign of forms behind this landing page: its CTA must be the `/r/` link.
        public var formsBehindThisPage: Bool

        public init(code: String, name: String, statusLabel: String, formsBehindThisPage: Bool) {
            self.code = code
            self.name = name
            self.statusLabel = statusLabel
            self.formsBehindThisPage = formsBehindThisPage
        }
    }

    public var hubURL: String
    public var trackingId: String
    public var scriptVersion: String
    public var landingPage: LandingPageInfo?
    public var form: FormInfo?
    public var mode: Mode
    /// The codes of the LP's account (head pixel, CTA code) and of the form's account (conversion).
    public var landingPageAccount: AccountCodes?
    public var formAccount: AccountCodes?
    /// The branding and texts of the account the pages are built for (the LP's, else the form's).
    public var identity: Identity?
    public var campaigns: [CampaignLink] = []
    public var generatedAt: Date

    public init(
        hubURL: String, trackingId: String, scriptVersion: String, landingPage: LandingPageInfo?, form: FormInfo?,
        mode: Mode, landingPageAccount: AccountCodes?, formAccount: AccountCodes?, identity: Identity? = nil,
        generatedAt: Date
    ) {
        self.identity = identity
        self.hubURL = hubURL.hasSuffix("/") ? String(hubURL.dropLast()) : hubURL
        self.trackingId = trackingId
        self.scriptVersion = scriptVersion
        self.landingPage = landingPage
        self.form = form
        self.mode = mode
        self.landingPageAccount = landingPageAccount
        self.formAccount = formAccount
        self.generatedAt = generatedAt
    }
}

/// Builds the developer brief: addresses, tags to paste, the form's API reference, what each
/// statistic means, and a checklist. Pure: the same input gives the same document.
public enum Brief {
    public enum Problem: Error, Equatable {
        case integratedNeedsPair

        public var message: String {
            "Le mode intégré demande une landing page et un formulaire : choisissez les deux."
        }
    }

    public static func build(_ input: BriefInput) throws -> BriefDocument {
        if input.mode == .integrated && (input.landingPage == nil || input.form == nil) {
            throw Problem.integratedNeedsPair
        }
        let writer = Writer(input: input)
        var sections = [writer.addresses()]
        if let hosted = writer.hostedSection() { sections.append(hosted) }
        if let identity = writer.identitySection() { sections.append(identity) }
        sections.append(writer.tags())
        if input.form != nil { sections.append(writer.apiReference()) }
        sections.append(writer.statistics())
        sections.append(writer.checklist())
        let warnings = writer.warnings()
        if !warnings.isEmpty {
            sections.insert(
                BriefSection(
                    id: "a-completer", title: "À compléter dans LeadHub", blocks: warnings.map(BriefBlock.warning)),
                at: 0)
        }
        return BriefDocument(title: writer.title, summary: writer.summary(), sections: sections)
    }

    /// Example values that pass validation, for the examples of each field.
    public static func example(_ field: LeadField) -> String {
        switch field {
        case .phone: "06 12 34 56 78"
        case .civilite: "Mme"
        case .nom: "Dupont"
        case .prenom: "Marie"
        case .email: "marie.dupont@example.fr"
        case .codePostal: "69003"
        case .departement: "69"
        case .ville: "Lyon"
        case .adresse: "12 rue de la République"
        case .typeLogement: "maison"
        case .statutOccupant: "proprietaire"
        case .surfaceHabitable: "120"
        case .chauffageActuel: "fioul"
        case .factureElectricite: "150 € par mois"
        }
    }

    /// The validation rule of each field, as the API applies it.
    public static func rule(_ field: LeadField, metropolitanOnly: Bool = false) -> String {
        switch field {
        case .phone:
            "Numéro français : 10 chiffres (`06 12 34 56 78`) ou `+33…` ; espaces, points et tirets acceptés ; numéros spéciaux et factices refusés."
        case .civilite: "`M` ou `Mme` (`Monsieur`, `Madame`, `Mlle` acceptés)."
        case .nom, .prenom, .ville: "Texte, 100 caractères au plus."
        case .email: "Adresse e-mail valide, 254 caractères au plus."
        case .codePostal:
            "5 chiffres (`75008`) ; donne le département."
                + (metropolitanOnly ? " Ce formulaire n'accepte que la France métropolitaine." : "")
        case .departement: "Code du département (`75`, `2A`, `974`) ; doit correspondre au code postal s'il est donné."
        case .adresse: "Texte, 200 caractères au plus."
        case .typeLogement: "`maison` ou `appartement`."
        case .statutOccupant: "`proprietaire` ou `locataire` (accents acceptés)."
        case .surfaceHabitable: "Nombre de m² entre 9 et 2 000 (`120`, `85,5`, `120 m2`)."
        case .chauffageActuel: "Texte, 100 caractères au plus (ex. `fioul`, `gaz`, `électrique`)."
        case .factureElectricite: "Texte, 50 caractères au plus."
        }
    }

    /// What each statistic means and how it is counted: the brief and the dashboard say the same.
    public static let statistics: [(name: String, meaning: String)] = [
        (
            "Visites",
            "Événements `lp_visit` : un par chargement de la landing page par le script (rechargements compris), robots exclus."
        ),
        (
            "Clics CTA",
            "Événements `cta_click` : un par clic sur un bouton marqué `data-leadhub-cta`, ou par passage sur le lien de redirection `/r/…`."
        ),
        (
            "Démarrages de formulaire",
            "Événements `form_start` : la première interaction avec un champ du formulaire (focus, saisie) sur une page chargée."
        ),
        ("Étapes", "Événements `form_step` envoyés par `LeadHub.step(n)` sur un formulaire en plusieurs étapes."),
        ("Leads", "Leads acceptés par l'API (réponse 201) dans la période, doublons compris."),
        (
            "Doublons",
            "Leads acceptés mais reconnus comme doublons (même téléphone dans la fenêtre de doublon) : ils ne sont pas livrés."
        ),
        ("Livrés", "Leads acceptés par leur CRM (comptés une fois, à l'heure où le lead est arrivé)."),
        (
            "Taux",
            "Clics / visites, démarrages / clics, leads / démarrages, leads / visites, livrés / leads ; vides quand le dénominateur est nul."
        ),
    ]

    struct Writer {
        let input: BriefInput
        var lp: BriefInput.LandingPageInfo? { input.landingPage }
        var form: BriefInput.FormInfo? { input.form }
        var hub: String { input.hubURL }
        var scriptURL: String { "\(hub)/t.js?v=\(input.scriptVersion)" }
        var formURL: String? { form?.url ?? (form == nil ? lp?.linkedFormURL : nil) }

        var title: String {
            switch (lp, form) {
            case (let lp?, let form?): "Brief d'intégration — \(lp.code) + \(form.code)"
            case (let lp?, nil): "Brief d'intégration — landing page \(lp.code)"
            case (nil, let form?): "Brief d'intégration — formulaire \(form.code)"
            case (nil, nil): "Brief d'intégration"
            }
        }

        func summary() -> [String] {
            var lines: [String] = []
            if let lp {
                lines.append(
                    "Landing page : \(lp.code) — \(lp.name)" + (lp.sourceName.map { " (source : \($0))" } ?? ""))
            }
            if let form {
                lines.append("Formulaire : \(form.code) — \(form.name) (\(form.productCode), \(form.productLabel))")
            }
            if lp != nil && form != nil { lines.append("Mode : \(input.mode.label)") }
            lines.append("Identifiant de suivi de l'organisation : `\(input.trackingId)`")
            lines.append(
                "Généré le \(FrenchFormat.dateTime(input.generatedAt)) à partir de la configuration actuelle : régénérez-le après toute modification."
            )
            return lines
        }

        func warnings() -> [String] {
            var out: [String] = []
            if let lp {
                if lp.archived { out.append("La landing page \(lp.code) est archivée.") }
                if lp.url == nil {
                    out.append("La landing page \(lp.code) n'a pas d'adresse : renseignez-la sur sa fiche.")
                }
                if form == nil && lp.linkedFormCode == nil {
                    out.append(
                        "Aucun formulaire n'est lié à la landing page \(lp.code) : le bouton d'action ne sait pas où mener, et le lien `/r/\(lp.code)` répond 404."
                    )
                }
                if let form, input.mode == .separate, let linked = lp.linkedFormCode, linked != form.code {
                    out.append(
                        "La landing page \(lp.code) est liée au formulaire \(linked), pas à \(form.code) : le lien de redirection `/r/\(lp.code)` mène à \(linked)."
                    )
                }
                if let form, input.mode == .separate, lp.linkedFormCode == nil {
                    out.append(
                        "La landing page \(lp.code) n'est liée à aucun formulaire : liez-la à \(form.code) pour que le lien `/r/\(lp.code)` fonctionne."
                    )
                }
            }
            if let form {
                if form.archived {
                    out.append("Le formulaire \(form.code) est archivé : l'API refuse ses leads (403).")
                }
                if form.url == nil && input.mode == .separate {
                    out.append(
                        "Le formulaire \(form.code) n'a pas d'adresse : renseignez-la (les boutons d'action et le lien `/go/\(form.code)` y mènent)."
                    )
                }
                if form.thankYouURL == nil { out.append("Le formulaire \(form.code) n'a pas de page de remerciement.") }
            }
            if let identity = input.identity {
                let missing = [
                    identity.privacyPolicy == nil ? "de politique de confidentialité" : nil,
                    identity.legalMentions == nil ? "de mentions légales" : nil,
                ].compactMap { $0 }
                if !missing.isEmpty {
                    out.append(
                        "Le compte \(identity.accountName) n'a pas " + missing.joined(separator: " ni ")
                            + " : obligatoires sur une page qui collecte des données, renseignez-les sur la fiche du compte."
                    )
                }
            }
            return out
        }

        // MARK: Addresses

        func addresses() -> BriefSection {
            var rows: [[String]] = []
            if let lp { rows.append(["Landing page \(lp.code)", lp.url ?? "à renseigner"]) }
            if let form {
                rows.append([
                    input.mode == .integrated
                        ? "Formulaire \(form.code) (dans la landing page)" : "Formulaire \(form.code)",
                    input.mode == .integrated ? (lp?.url ?? "à renseigner") : (form.url ?? "à renseigner"),
                ])
                rows.append(["Page de remerciement", form.thankYouURL ?? "à renseigner"])
            } else if let lp, let code = lp.linkedFormCode {
                rows.append(["Formulaire lié \(code)", lp.linkedFormURL ?? "à renseigner"])
            }
            rows.append(["Script de suivi", "`\(scriptURL)`"])
            if let lp, input.mode == .separate {
                rows.append(["Lien de redirection (sans script)", "`\(hub)/r/\(lp.code)?org=\(input.trackingId)`"])
            }
            if let form {
                rows.append([
                    "Lien direct vers le formulaire (annonces)", "`\(hub)/go/\(form.code)?org=\(input.trackingId)`",
                ])
            }
            for campaign in input.campaigns {
                rows.append([
                    "Campagne A/B \(campaign.code) (lien des annonces, \(campaign.statusLabel.lowercased()))",
                    "`\(hub)/c/\(campaign.code)?org=\(input.trackingId)`",
                ])
            }
            if form != nil { rows.append(["API des leads", "`POST \(hub)/api/v1/leads`"]) }
            rows.append(["API des événements", "`POST \(hub)/api/v1/events`"])
            var blocks: [BriefBlock] = [.table(header: ["Quoi", "Adresse"], rows: rows)]
            if !input.campaigns.isEmpty {
                blocks.append(
                    .paragraph(
                        "Campagne A/B : les annonces utilisent le lien de la campagne, pas l'adresse de la page. LeadHub y affecte chaque visiteur à une variante et le redirige avec `lh_visitor`, que le script de suivi reprend : ne retirez pas ce paramètre des redirections."
                    ))
            }
            if let lp, input.campaigns.contains(where: \.formsBehindThisPage) {
                blocks.append(
                    .paragraph(
                        "Cette landing page est devant un test de formulaires : son bouton d'action (CTA) doit mener à `\(hub)/r/\(lp.code)?org=\(input.trackingId)`, qui envoie chaque visiteur vers le formulaire de sa variante."
                    ))
            }
            if lp != nil && input.mode == .separate {
                blocks.append(
                    .paragraph(
                        "Le lien de redirection compte un clic CTA puis mène au formulaire en transmettant la session et les paramètres de campagne (`utm_*`, `gclid`, `fbclid`) qu'on lui ajoute : à utiliser quand la page ne peut pas exécuter de script."
                    ))
            }
            return BriefSection(id: "adresses", title: "Adresses", blocks: blocks)
        }

        // MARK: Identity

        /// A hosted form: nothing to build, only to embed (iframe with its events, or a popup).
        func hostedSection() -> BriefSection? {
            guard let form = input.form, let url = form.hostedURL else { return nil }
            let hub = input.hubURL.hasSuffix("/") ? String(input.hubURL.dropLast()) : input.hubURL
            let iframe = """
                <iframe id="leadhub-form" src="\(url)" title="\(form.name)"
                  style="width:100%;max-width:640px;min-height:640px;border:0" loading="lazy"></iframe>
                <script>
                  // The form tells the page what happens: loaded, step, completed, disqualified, resize.
                  window.addEventListener("message", function (event) {
                    if (event.origin !== "\(hub)" || !event.data || event.data.source !== "leadhub") return;
                    var frame = document.getElementById("leadhub-form");
                    if (event.data.type === "resize") frame.style.height = event.data.height + "px";
                    if (event.data.type === "completed") { /* conversion : dataLayer.push({event: "lead"}) */ }
                  });
                </script>
                """
            let popup = """
                <button type="button" data-leadhub-form="\(url)">Tester mon éligibilité</button>
                <script src="\(hub)/f/embed.js" defer></script>
                """
            return BriefSection(
                id: "formulaire-heberge", title: "Formulaire hébergé par LeadHub",
                blocks: [
                    .paragraph(
                        "Ce formulaire est construit et servi par LeadHub : ne le recodez pas. Son adresse : `\(url)`. "
                            + "Ajoutez-y les paramètres de campagne (`utm_source`, `gclid`…) et `lp=CODE` quand il suit une landing page."
                    ),
                    .code(
                        id: "hosted-iframe", language: "html",
                        caption: "Dans la page, là où le formulaire s'affiche (iframe et ses événements) :",
                        text: iframe),
                    .list([
                        "`loaded` : le formulaire est affiché.",
                        "`step` : un nouvel écran (`step` = identifiant de l'écran, `position` = son numéro).",
                        "`completed` : le lead est envoyé ; `disqualified` : le visiteur n'est pas éligible.",
                        "`resize` : la hauteur du contenu (`height`, en pixels) a changé.",
                    ]),
                    .code(
                        id: "hosted-popup", language: "html",
                        caption: "Ou en fenêtre surgissante, depuis n'importe quel bouton :", text: popup),
                ])
        }

        func identitySection() -> BriefSection? {
            guard let identity = input.identity else { return nil }
            var blocks: [BriefBlock] = [
                .paragraph(
                    "Les pages sont celles du compte \(identity.accountName)"
                        + (identity.domain.map { " (`\($0)`)" } ?? "")
                        + " : son identité et ses textes, tels que LeadHub les connaît aujourd'hui.")
            ]
            var rows = identity.logos.map { [$0.name, "`\($0.url)`"] }
            if let color = identity.primaryColor { rows.append(["Couleur principale", "`\(color)`"]) }
            if let color = identity.secondaryColor { rows.append(["Couleur secondaire", "`\(color)`"]) }
            rows += identity.images.map { ["Image « \($0.name) »", "`\($0.url)`"] }
            if rows.isEmpty {
                blocks.append(.paragraph("Aucun logo, couleur ni image n'est renseigné pour ce compte."))
            } else {
                blocks.append(.table(header: ["Élément", "Valeur"], rows: rows))
            }
            if let label = identity.productLabel {
                blocks.append(.heading("Le produit : \(label)"))
                var lines: [String] = []
                if let amount = identity.aidAmountText, !amount.isEmpty {
                    lines.append("Accroche des aides : « \(amount) »")
                }
                if !identity.aids.isEmpty { lines.append("Aides à citer : " + identity.aids.joined(separator: ", ")) }
                blocks.append(
                    lines.isEmpty ? .paragraph("Aucune aide n'est renseignée pour ce produit.") : .list(lines))
            }
            let texts: [(id: String, name: String, text: String?, missing: String)] = [
                ("legal-privacy", "Politique de confidentialité", identity.privacyPolicy, "non renseignée"),
                ("legal-mentions", "Mentions légales", identity.legalMentions, "non renseignées"),
                ("legal-cgu", "Conditions d'utilisation (CGU)", identity.cgu, "non renseignées"),
            ]
            blocks.append(.heading("Textes légaux"))
            for item in texts {
                if let text = item.text, !text.isEmpty {
                    blocks.append(.code(id: item.id, language: "text", caption: "\(item.name) :", text: text))
                } else {
                    blocks.append(.paragraph("\(item.name) : \(item.missing) sur la fiche du compte."))
                }
            }
            return BriefSection(id: "identite", title: "Identité du compte et textes", blocks: blocks)
        }

        // MARK: Tags

        func scriptTag(lp lpCode: String?, form: BriefInput.FormInfo?) -> String {
            var tag = "<script src=\"\(scriptURL)\" data-org=\"\(input.trackingId)\""
            if let lpCode { tag += " data-lp=\"\(lpCode)\"" }
            if let form { tag += " data-form=\"\(form.code)\" data-form-key=\"\(form.formKey)\"" }
            return tag + " async></script>"
        }

        func tags() -> BriefSection {
            var blocks: [BriefBlock] = []
            switch (lp, form, input.mode) {
            case (let lp?, let form?, .integrated):
                blocks.append(
                    .paragraph(
                        "Une seule page porte la landing page et le formulaire : un seul script, avec le code de la landing page, celui du formulaire et sa clé."
                    ))
                blocks.append(
                    .code(
                        id: "tag-script", language: "html", caption: "Sur la page, juste avant `</head>` :",
                        text: scriptTag(lp: lp.code, form: form)))
                blocks.append(
                    .code(
                        id: "tag-cta", language: "html",
                        caption: "Les boutons d'action qui descendent vers le formulaire :",
                        text: "<a href=\"#leadhub-form\" data-leadhub-cta>Je fais ma demande</a>"))
                blocks.append(
                    .paragraph(
                        "Chaque clic compte un clic CTA ; la première interaction avec un champ compte un démarrage de formulaire."
                    ))
                blocks.append(contentsOf: formWiring(form))
            case (let lp?, _, _):
                blocks.append(
                    .code(
                        id: "tag-script-lp", language: "html", caption: "Sur la landing page, juste avant `</head>` :",
                        text: scriptTag(lp: lp.code, form: nil)))
                let target = formURL ?? "ADRESSE_DU_FORMULAIRE"
                blocks.append(
                    .code(
                        id: "tag-cta", language: "html", caption: "Chaque bouton d'action (CTA) :",
                        text: "<a href=\"\(target)\" data-leadhub-cta>Je fais ma demande</a>"))
                blocks.append(
                    .paragraph(
                        "Le script compte le clic et ajoute à l'adresse la session (`lh_session`, `lh_visitor`), le code de la landing page (`lp`) et les paramètres de campagne : ne les retirez pas. Si vous ne pouvez pas ajouter l'attribut, donnez un sélecteur CSS au script : `data-cta=\".bouton-devis\"`."
                    ))
                blocks.append(
                    .paragraph(
                        "Sans script possible (page d'un éditeur fermé) : faites pointer les boutons vers le lien de redirection `\(hub)/r/\(lp.code)?org=\(input.trackingId)`."
                    ))
                if let form {
                    blocks.append(.heading("Sur le formulaire \(form.code)"))
                    blocks.append(
                        .code(
                            id: "tag-script-form", language: "html",
                            caption: "Sur la page du formulaire, juste avant `</head>` :",
                            text: scriptTag(lp: nil, form: form)))
                    blocks.append(
                        .paragraph(
                            "Le script du formulaire reprend la session, le code de la landing page et la campagne transmis par le bouton d'action."
                        ))
                    blocks.append(contentsOf: formWiring(form))
                }
            case (nil, let form?, _):
                blocks.append(
                    .code(
                        id: "tag-script-form", language: "html",
                        caption: "Sur la page du formulaire, juste avant `</head>` :",
                        text: scriptTag(lp: nil, form: form)))
                blocks.append(
                    .paragraph(
                        "Arrivé d'une landing page, le visiteur porte dans l'adresse sa session, le code de la landing page (`lp`) et sa campagne : le script les reprend. Pour une annonce qui mène directement au formulaire, utilisez `\(hub)/go/\(form.code)?org=\(input.trackingId)&utm_source=…`."
                    ))
                blocks.append(contentsOf: formWiring(form))
            case (nil, nil, _):
                break
            }
            blocks.append(contentsOf: gtm())
            return BriefSection(id: "balises", title: "Balises à coller", blocks: blocks)
        }

        func fieldMarkup(_ field: LeadField) -> String {
            let required = " required"
            switch field {
            case .phone:
                return "  <label>Téléphone <input name=\"phone\" type=\"tel\" autocomplete=\"tel\"\(required)></label>"
            case .civilite:
                return
                    "  <label>Civilité <select name=\"civilite\"\(required)><option value=\"Mme\">Madame</option><option value=\"M\">Monsieur</option></select></label>"
            case .nom: return "  <label>Nom <input name=\"nom\" autocomplete=\"family-name\"\(required)></label>"
            case .prenom:
                return "  <label>Prénom <input name=\"prenom\" autocomplete=\"given-name\"\(required)></label>"
            case .email:
                return "  <label>E-mail <input name=\"email\" type=\"email\" autocomplete=\"email\"\(required)></label>"
            case .codePostal:
                return
                    "  <label>Code postal <input name=\"code_postal\" inputmode=\"numeric\" maxlength=\"5\" autocomplete=\"postal-code\"\(required)></label>"
            case .departement:
                return "  <label>Département <input name=\"departement\" maxlength=\"3\"\(required)></label>"
            case .ville:
                return "  <label>Ville <input name=\"ville\" autocomplete=\"address-level2\"\(required)></label>"
            case .adresse:
                return "  <label>Adresse <input name=\"adresse\" autocomplete=\"street-address\"\(required)></label>"
            case .typeLogement:
                return
                    "  <label>Logement <select name=\"type_logement\"\(required)><option value=\"maison\">Maison</option><option value=\"appartement\">Appartement</option></select></label>"
            case .statutOccupant:
                return
                    "  <label>Vous êtes <select name=\"statut_occupant\"\(required)><option value=\"proprietaire\">Propriétaire</option><option value=\"locataire\">Locataire</option></select></label>"
            case .surfaceHabitable:
                return
                    "  <label>Surface habitable (m²) <input name=\"surface_habitable\" inputmode=\"numeric\"\(required)></label>"
            case .chauffageActuel:
                return "  <label>Chauffage actuel <input name=\"chauffage_actuel\"\(required)></label>"
            case .factureElectricite:
                return "  <label>Facture d'électricité <input name=\"facture_electricite\"\(required)></label>"
            }
        }

        func requiredFields(_ form: BriefInput.FormInfo) -> [LeadField] {
            var fields = form.requiredFields
            if !fields.contains(.phone) { fields.insert(.phone, at: 0) }
            return fields
        }

        func formWiring(_ form: BriefInput.FormInfo) -> [BriefBlock] {
            let fields = requiredFields(form)
            var html = "<form id=\"leadhub-form\" novalidate>\n"
            html += fields.map(fieldMarkup).joined(separator: "\n") + "\n"
            html +=
                "  <label><input type=\"checkbox\" name=\"consent_phone\" value=\"1\"> J'accepte d'être recontacté(e) par téléphone au sujet de mon projet.</label>\n"
            // The honeypot: invisible to people, filled by robots (LeadHub then rejects the lead).
            html +=
                "  <input name=\"honeypot\" tabindex=\"-1\" autocomplete=\"off\" aria-hidden=\"true\" style=\"position:absolute;left:-9999px\">\n"
            html += "  <p class=\"leadhub-errors\" role=\"alert\" hidden></p>\n"
            html += "  <button type=\"submit\">Envoyer ma demande</button>\n</form>"
            let thanks = form.thankYouURL ?? "ADRESSE_DE_REMERCIEMENT"
            let script = """
                <script>
                (function () {
                  var form = document.getElementById("leadhub-form");
                  var box = form.querySelector(".leadhub-errors");
                  form.addEventListener("submit", function (event) {
                    event.preventDefault();
                    var lead = {};
                    new FormData(form).forEach(function (value, name) { lead[name] = value; });
                    lead.consent = { phone: lead.consent_phone === "1", email: false,
                      text: "J'accepte d'être recontacté(e) par téléphone au sujet de mon projet.", url: location.href };
                    delete lead.consent_phone;
                    var send = window.LeadHub ? window.LeadHub.submit(lead) : fetch("\(hub)/api/v1/leads", {
                      // Script bloqué (bloqueur de publicités) : le lead part quand même, sans l'attribution de la visite.
                      method: "POST", mode: "cors", credentials: "omit",
                      headers: { "Content-Type": "application/json", "Authorization": "Token \(form.formKey)" },
                      body: JSON.stringify(Object.assign({ form_code: "\(form.code)" }, lead))
                    }).then(function (r) { return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; }); });
                    send.then(function (answer) {
                      var kept = answer.body && (answer.body.status === "incomplete" || answer.body.status === "invalid");
                      // Kept with errors (incomplete, invalid): the lead is saved; show what to correct.
                      if (answer.ok && !kept) { location.href = "\(thanks)"; return; }
                      var errors = (answer.body && answer.body.errors) || {};
                      var lines = Object.keys(errors).map(function (name) { return errors[name].join(" "); });
                      box.textContent = lines.length ? lines.join(" ") : (answer.body && answer.body.error) || "Envoi impossible, réessayez.";
                      box.hidden = false;
                    })["catch"](function () { box.textContent = "Connexion impossible, réessayez."; box.hidden = false; });
                  });
                })();
                </script>
                """
            var blocks: [BriefBlock] = [
                .heading("Le formulaire et son envoi"),
                .paragraph(
                    "Les noms des champs sont ceux de l'API (voir la référence plus bas). Ceux-ci sont obligatoires pour le produit \(form.productCode) : "
                        + fields.map { "`\($0.rawValue)`" }.joined(separator: ", ") + "."),
                .code(
                    id: "tag-form", language: "html",
                    caption: "Le formulaire (à habiller à votre goût, en gardant les attributs `name`) :", text: html),
                .code(id: "tag-submit", language: "html", caption: "L'envoi, après le formulaire :", text: script),
                .paragraph(
                    "`LeadHub.submit(champs)` envoie le lead avec la clé du formulaire, la session, le code de la landing page, la campagne et le temps de saisie (`form_elapsed_ms`), et répond `{ok, status, body}`. En cas de refus (422), ou quand le lead est enregistré avec des erreurs (`body.status` vaut `incomplete` ou `invalid`), `body.errors` donne, par champ, des messages en français à afficher près des champs : le visiteur corrige et renvoie, et c'est ce nouveau lead qui part au CRM. Le champ caché `honeypot` doit rester vide et invisible : un robot qui le remplit est rejeté."
                ),
                .paragraph(
                    "Formulaire en plusieurs étapes : appelez `LeadHub.step(2)`, `LeadHub.step(3)`… quand le visiteur arrive à chaque étape (compté dans « Étapes »)."
                ),
            ]
            if !form.allowedOrigins.isEmpty {
                blocks.append(
                    .paragraph(
                        "La clé n'est acceptée que depuis ces origines : "
                            + form.allowedOrigins.map { "`\($0)`" }.joined(separator: ", ")
                            + ". Une autre origine reçoit 403 : ajoutez-la sur la fiche du formulaire."))
            }
            return blocks
        }

        func gtm() -> [BriefBlock] {
            var blocks: [BriefBlock] = [.heading("Google Tag Manager")]
            let pageAccount = input.landingPageAccount ?? input.formAccount
            let conversionAccount = input.formAccount ?? input.landingPageAccount
            if let account = pageAccount {
                if let head = account.head, !head.isEmpty {
                    blocks.append(
                        .code(
                            id: "gtm-head", language: "html",
                            caption: "Code d'en-tête du compte \(account.accountName), dans `<head>` de chaque page :",
                            text: head))
                } else {
                    blocks.append(
                        .paragraph(
                            "Le compte \(account.accountName) n'a pas de code d'en-tête : rien à ajouter dans `<head>` (renseignez-le sur la fiche du compte s'il en faut un)."
                        ))
                }
                if lp != nil {
                    if let cta = account.cta, !cta.isEmpty {
                        blocks.append(
                            .code(
                                id: "gtm-cta", language: "html",
                                caption:
                                    "Code CTA du compte \(account.accountName), déclenché au clic sur les boutons d'action (dans GTM : déclencheur « Événement personnalisé » `leadhub_cta_click`) :",
                                text: cta))
                    } else {
                        blocks.append(.paragraph("Le compte \(account.accountName) n'a pas de code CTA."))
                    }
                }
            }
            if form != nil, let account = conversionAccount {
                if let conversion = account.conversion, !conversion.isEmpty {
                    blocks.append(
                        .code(
                            id: "gtm-conversion", language: "html",
                            caption:
                                "Code de conversion du compte \(account.accountName), sur la page de remerciement (ou dans GTM sur l'événement `leadhub_lead`) :",
                            text: conversion))
                } else {
                    blocks.append(.paragraph("Le compte \(account.accountName) n'a pas de code de conversion."))
                }
            }
            blocks.append(
                .paragraph(
                    "Quand `window.dataLayer` existe, le script y pousse `leadhub_lp_visit`, `leadhub_cta_click`, `leadhub_form_start`, `leadhub_form_step` et `leadhub_lead` (avec `leadhub_lp`, `leadhub_form`, `leadhub_session`, et `leadhub_lead_id` pour un lead) : utilisez-les comme déclencheurs."
                ))
            return blocks
        }

        // MARK: API reference

        func apiReference() -> BriefSection {
            guard let form else { return BriefSection(id: "api", title: "Référence de l'API", blocks: []) }
            let required = Set(requiredFields(form))
            var blocks: [BriefBlock] = [
                .paragraph(
                    "`POST \(hub)/api/v1/leads`, corps JSON (64 Ko au plus), en-têtes `Content-Type: application/json` et `Authorization: Token \(form.formKey)` (la clé publiable de ce formulaire : elle ne sert qu'à lui envoyer des leads). En option, `Idempotency-Key: <identifiant unique>` : un envoi répété avec la même clé ne crée pas de second lead et reçoit la même réponse."
                ),
                .heading("Champs du lead"),
                .table(
                    header: ["Champ", "Libellé", "Obligatoire", "Règle"],
                    rows: LeadField.allCases.map { field in
                        [
                            "`\(field.rawValue)`", field.label, required.contains(field) ? "oui" : "non",
                            Brief.rule(field, metropolitanOnly: form.metropolitanOnly),
                        ]
                    }),
                .heading("Suivi et consentement"),
                .table(
                    header: ["Champ", "Contenu"],
                    rows: [
                        [
                            "`form_code`",
                            "`\(form.code)` (facultatif avec la clé du formulaire ; s'il est donné, il doit être celui-ci).",
                        ],
                        [
                            "`lp_code`",
                            "Code de la landing page d'origine (ex. `\(lp?.code ?? "LP-001")`) : rattache le lead à la landing page et à sa source.",
                        ],
                        [
                            "`session_id`, `visitor_id`",
                            "Session et visiteur du script de suivi (relient le lead à la visite).",
                        ],
                        [
                            "`utm_source`, `utm_medium`, `utm_campaign`, `utm_content`, `utm_term`, `gclid`, `fbclid`",
                            "Campagne (500 caractères au plus chacun).",
                        ],
                        ["`page_url`, `referrer`", "Adresse de la page et provenance (2 000 caractères au plus)."],
                        [
                            "`consent`",
                            "Objet `{\"phone\": true, \"email\": false, \"text\": \"texte affiché\", \"url\": \"adresse de la page\", \"partners_version\": \"2026-11\"}` : la preuve du consentement (case jamais pré-cochée). Sans `phone: true`, le lead est enregistré mais n'est pas envoyé quand l'organisation exige le consentement téléphonique (par défaut).",
                        ],
                        [
                            "`honeypot`",
                            "Champ caché, invisible, toujours vide pour une personne : rempli, le lead est rejeté (robot).",
                        ],
                        [
                            "`form_elapsed_ms`",
                            "Millisecondes entre la première saisie et l'envoi (ajouté par `LeadHub.submit`) : moins de 10 s abaisse le score qualité.",
                        ],
                        [
                            "autres champs",
                            "Gardés avec le lead : 30 au plus, noms en lettres, chiffres, `-` et `_` (64 caractères), valeurs texte, nombre ou booléen (1 000 caractères).",
                        ],
                    ]),
                .heading("Réponses"),
                .table(
                    header: ["Statut", "Signification"],
                    rows: [
                        [
                            "201",
                            "Lead enregistré : `{\"id\", \"status\", \"duplicate_of\"?, \"form_code\", \"created_at\", \"errors\"?, \"warnings\"?}`. `status` : `accepted`, `duplicate` (enregistré, pas livré), `incomplete` ou `invalid` (enregistré avec les erreurs de `errors`, à compléter avant envoi). `warnings.consent` : pas d'opt-in téléphonique, le lead ne sera pas envoyé.",
                        ],
                        ["400", "Corps illisible (JSON mal formé, vide, pas un objet)."],
                        ["401", "Clé absente, mal écrite ou inconnue."],
                        ["403", "Formulaire archivé, ou origine non autorisée pour la clé."],
                        ["413 / 415", "Corps de plus de 64 Ko / pas en JSON."],
                        [
                            "422",
                            "Champs invalides sans téléphone ni e-mail pour joindre la personne, ou organisation en mode strict : `{\"error\": \"Certains champs sont invalides.\", \"errors\": {\"phone\": [\"Numéro de téléphone invalide…\"]}}`, tous les champs à la fois ; rien n'est enregistré.",
                        ],
                        ["429", "Trop d'envois en peu de temps : réessayez après `Retry-After` secondes."],
                        ["5xx", "Incident : réessayez plus tard avec la même `Idempotency-Key`."],
                    ]),
            ]
            let body =
                requiredFields(form).map { "\"\($0.rawValue)\": \"\(Brief.example($0))\"" }
                + [
                    "\"lp_code\": \"\(lp?.code ?? "LP-001")\"", "\"utm_source\": \"google\"",
                    "\"consent\": {\"phone\": true, \"email\": false, \"text\": \"J’accepte d’être recontacté par téléphone.\", \"url\": \"\(lp?.url ?? form.url ?? "https://exemple.fr")\"}",
                ]
            let curl = """
                curl -X POST "\(hub)/api/v1/leads" \\
                  -H "Content-Type: application/json" \\
                  -H "Authorization: Token \(form.formKey)" \\
                  -H "Idempotency-Key: $(uuidgen)" \\
                  -d '{\(body.joined(separator: ", "))}'
                """
            blocks.append(.code(id: "api-curl", language: "sh", caption: "Exemple avec `curl` :", text: curl))
            let browser = """
                fetch("\(hub)/api/v1/leads", {
                  method: "POST",
                  headers: { "Content-Type": "application/json", "Authorization": "Token \(form.formKey)" },
                  body: JSON.stringify({
                \(requiredFields(form).map { "    \($0.rawValue): \"\(Brief.example($0))\"," }.joined(separator: "\n"))
                    consent: { phone: true, email: false, text: "J'accepte d'être recontacté par téléphone.", url: location.href }
                  })
                }).then(function (response) { return response.json(); }).then(function (body) { console.log(body); });
                """
            blocks.append(
                .code(
                    id: "api-browser", language: "js", caption: "Exemple dans le navigateur, sans le script de suivi :",
                    text: browser))
            blocks.append(
                .paragraph(
                    "Depuis un serveur, une clé d'organisation (Paramètres → Clés d'API) peut remplacer la clé du formulaire : `form_code` devient alors obligatoire. La description complète de l'API est sur `\(hub)/docs/api`."
                ))
            return BriefSection(id: "api", title: "Référence de l'API du formulaire", blocks: blocks)
        }

        // MARK: Statistics

        func statistics() -> BriefSection {
            BriefSection(
                id: "statistiques", title: "Ce que mesurent les statistiques",
                blocks: [
                    .table(
                        header: ["Statistique", "Comment elle est comptée"],
                        rows: Brief.statistics.map { [$0.name, $0.meaning] }),
                    .paragraph(
                        "Les chiffres sont comptés par heure et lus en jours de Paris (Europe/Paris, heure d'été comprise). Les robots (user agents de robots connus) ne sont pas comptés. Une carte dont les statistiques ont été remises à zéro compte à partir de sa date « stats depuis » ; le tableau de bord garde tout l'historique."
                    ),
                    .paragraph(
                        "Le tunnel d'un formulaire comprend les visites et clics des landing pages qui y mènent ; un lead est rattaché à une landing page quand il porte son code (`lp_code`)."
                    ),
                ])
        }

        // MARK: Checklist

        func checklist() -> BriefSection {
            var items: [String] = []
            if let lp {
                items.append(
                    "Le script est sur la landing page \(lp.code) (`data-lp=\"\(lp.code)\"`) : « Vérifier l'intégration » montre une visite."
                )
                if input.mode == .separate {
                    items.append(
                        "Chaque bouton d'action porte `data-leadhub-cta` et mène à "
                            + (formURL.map { "`\($0)`" } ?? "l'adresse du formulaire")
                            + " ; après un clic, l'adresse du formulaire porte `lh_session` et `lp=\(lp.code)`.")
                } else {
                    items.append("Les boutons d'action portent `data-leadhub-cta` et descendent vers le formulaire.")
                }
            }
            if let form {
                if input.mode == .separate {
                    items.append(
                        "Le script est sur le formulaire \(form.code) avec `data-form=\"\(form.code)\"` et sa clé `data-form-key`."
                    )
                }
                items.append(
                    "Les champs obligatoires du produit \(form.productCode) sont présents : "
                        + requiredFields(form).map { "`\($0.rawValue)`" }.joined(separator: ", ") + ".")
                items.append(
                    "L'envoi passe par `LeadHub.submit` ; les erreurs 422 s'affichent près des champs concernés.")
                items.append("La case et le texte du consentement sont envoyés dans `consent`.")
                items.append(
                    "Après un envoi réussi (201), le visiteur arrive sur la page de remerciement"
                        + (form.thankYouURL.map { " `\($0)`" } ?? "") + ".")
                if !form.allowedOrigins.isEmpty {
                    items.append(
                        "Le domaine des pages fait partie des origines autorisées : "
                            + form.allowedOrigins.map { "`\($0)`" }.joined(separator: ", ") + ".")
                }
            }
            items.append(
                "Les codes GTM du compte sont posés (en-tête, CTA, conversion) et se déclenchent une seule fois.")
            items.append(
                "Un essai complet depuis un téléphone : visite, clic, formulaire, lead visible dans « Leads » avec sa landing page, sa session et sa campagne."
            )
            items.append("« Vérifier l'intégration » ne signale plus rien de manquant.")
            return BriefSection(id: "checklist", title: "Liste de contrôle", blocks: [.checklist(items)])
        }
    }
}
