import Foundation

/// The starting points of the form builder: the classic energy-renovation forms, one question
/// per screen, eligibility first, contact details last, consent at the end. Written as a private
/// company's words: nothing in them suggests a State programme or an official body.
public enum FormTemplates {
    public struct Template: Sendable {
        public var code: String
        public var label: String
        public var productType: String
        public var definition: FormDefinition
    }

    public static let all: [Template] = [
        Template(code: "pv", label: "Panneaux solaires (PV)", productType: "PV", definition: pv),
        Template(code: "pac", label: "Pompe à chaleur (PAC)", productType: "PAC", definition: pac),
        Template(code: "ite", label: "Isolation par l'extérieur (ITE)", productType: "ITE", definition: ite),
    ]

    public static func template(_ code: String) -> Template? { all.first { $0.code == code } }

    // MARK: - Shared screens

    static let logement = FormStep(
        id: "logement", title: "Vous habitez…",
        fields: [
            FormField(
                id: "type_logement", kind: .cards, label: "Type de logement",
                options: [
                    FormOption(value: "maison", label: "Une maison", icon: "maison"),
                    FormOption(value: "appartement", label: "Un appartement", icon: "appartement"),
                ])
        ])

    static let statut = FormStep(
        id: "statut", title: "Vous êtes…",
        fields: [
            FormField(
                id: "statut_occupant", kind: .cards, label: "Statut d'occupation",
                options: [
                    FormOption(value: "proprietaire", label: "Propriétaire", icon: "proprietaire"),
                    FormOption(value: "locataire", label: "Locataire", icon: "locataire"),
                ])
        ],
        logic: [
            FormRule(
                when: FormComparison.field("statut_occupant", .equals, "locataire"), then: [.disqualify("non_eligible")]
            )
        ])

    static let codePostal = FormStep(
        id: "code_postal", title: "Où se situe votre logement ?",
        text: "Nous vérifions que des installateurs interviennent dans votre commune.",
        fields: [FormField(id: "code_postal", kind: .postalCode, label: "Code postal")])

    static func delai(_ title: String) -> FormStep {
        FormStep(
            id: "delai", title: title,
            fields: [
                FormField(
                    id: "delai_projet", kind: .cards, label: "Délai du projet",
                    options: [
                        FormOption(value: "des_que_possible", label: "Dès que possible", icon: "horloge"),
                        FormOption(value: "3_mois", label: "Dans les 3 mois", icon: "calendrier"),
                        FormOption(value: "6_mois", label: "Dans les 6 mois", icon: "calendrier"),
                        FormOption(value: "se_renseigne", label: "Je me renseigne", icon: "question"),
                    ])
            ])
    }

    static let identite = FormStep(
        id: "identite", title: "À qui adresser votre étude ?",
        fields: [FormField(id: "identite", kind: .identity, label: "Vos nom et prénom")])

    static let contact = FormStep(
        id: "contact", title: "Comment vous joindre ?",
        text: "Un conseiller vous rappelle pour affiner votre projet. Aucun démarchage sans votre accord.",
        fields: [
            FormField(id: "telephone", kind: .phone, label: "Téléphone"),
            FormField(id: "email", kind: .email, label: "E-mail", required: false),
        ])

    static let consentement = FormStep(
        id: "consentement", title: "Votre accord",
        fields: [
            FormField(
                id: "consentement", kind: .consent,
                label: "Pour recevoir votre étude, dites-nous comment vous pouvez être contacté(e).")
        ])

    static let nonEligible = FormStep(
        id: "non_eligible", kind: .disqualification, title: "Votre projet n'est pas éligible",
        text:
            "Ces installations sont réservées aux propriétaires du logement. Merci pour votre temps : vos réponses ne sont transmises à personne."
    )

    static let merci = FormStep(
        id: "merci", kind: .thankYou, title: "Merci, votre demande est bien envoyée",
        text: "Un conseiller vous rappelle sous 48 heures ouvrées pour étudier votre projet.")

    // MARK: - Templates

    public static let pv = FormDefinition(
        steps: [
            logement, statut, codePostal,
            FormStep(
                id: "facture", title: "Quel est le montant de votre facture d'électricité ?",
                fields: [
                    FormField(
                        id: "facture_electricite", kind: .brackets, label: "Facture d'électricité",
                        options: [
                            FormOption(value: "Moins de 100 € par mois", label: "Moins de 100 € / mois", icon: "euro"),
                            FormOption(value: "100 à 150 € par mois", label: "100 à 150 € / mois", icon: "euro"),
                            FormOption(value: "150 à 200 € par mois", label: "150 à 200 € / mois", icon: "euro"),
                            FormOption(value: "Plus de 200 € par mois", label: "Plus de 200 € / mois", icon: "euro"),
                        ])
                ]),
            FormStep(
                id: "orientation", title: "Quelle est l'orientation de votre toit ?",
                fields: [
                    FormField(
                        id: "orientation_toit", kind: .cards, label: "Orientation du toit",
                        options: [
                            FormOption(value: "sud", label: "Sud", icon: "sud"),
                            FormOption(value: "est_ouest", label: "Est ou ouest", icon: "est-ouest"),
                            FormOption(value: "nord", label: "Nord", icon: "nord"),
                            FormOption(value: "toit_plat", label: "Toit plat", icon: "toit-plat"),
                            FormOption(value: "ne_sait_pas", label: "Je ne sais pas", icon: "question"),
                        ])
                ]),
            delai("Quand souhaitez-vous installer vos panneaux ?"),
            identite, contact, consentement, nonEligible, merci,
        ],
        submitLabel: "Recevoir mon étude solaire")

    public static let pac = FormDefinition(
        steps: [
            logement, statut, codePostal,
            FormStep(
                id: "chauffage", title: "Comment chauffez-vous votre logement aujourd'hui ?",
                fields: [
                    FormField(
                        id: "chauffage_actuel", kind: .cards, label: "Chauffage actuel",
                        options: [
                            FormOption(value: "Fioul", label: "Fioul", icon: "fioul"),
                            FormOption(value: "Gaz", label: "Gaz", icon: "gaz"),
                            FormOption(value: "Électricité", label: "Électrique", icon: "electricite"),
                            FormOption(value: "Bois", label: "Bois", icon: "bois"),
                            FormOption(value: "Pompe à chaleur", label: "Pompe à chaleur", icon: "pompe-a-chaleur"),
                        ])
                ]),
            FormStep(
                id: "surface", title: "Quelle est la surface de votre logement ?",
                fields: [surfaceBrackets]),
            delai("Quand souhaitez-vous changer de chauffage ?"),
            identite, contact, consentement, nonEligible, merci,
        ],
        submitLabel: "Recevoir mon étude")

    public static let ite = FormDefinition(
        steps: [
            logement, statut, codePostal,
            FormStep(
                id: "murs", title: "Vos murs sont-ils déjà isolés ?",
                fields: [FormField(id: "murs_isoles", kind: .yesNo, label: "Murs déjà isolés")]),
            FormStep(
                id: "surface", title: "Quelle est la surface de votre logement ?",
                fields: [surfaceBrackets]),
            delai("Quand souhaitez-vous isoler votre logement ?"),
            identite, contact, consentement, nonEligible, merci,
        ],
        submitLabel: "Recevoir mon étude")

    /// Surface ranges; the value sent is the middle of the range in m² (the lead's
    /// `surface_habitable` is a number).
    static let surfaceBrackets = FormField(
        id: "surface_habitable", kind: .brackets, label: "Surface habitable",
        options: [
            FormOption(value: "60", label: "Moins de 80 m²", icon: "surface"),
            FormOption(value: "100", label: "80 à 120 m²", icon: "surface"),
            FormOption(value: "140", label: "120 à 160 m²", icon: "surface"),
            FormOption(value: "190", label: "Plus de 160 m²", icon: "surface"),
        ])
}
