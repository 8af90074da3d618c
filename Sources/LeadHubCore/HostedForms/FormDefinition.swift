import Foundation

/// The definition of a hosted form ("formulaire hébergé"): its screens in order, the fields of
/// each screen, the logic that decides the next screen, and the hidden fields read from the URL.
/// Stored as JSON; a published version is never changed again (a change is a new version), and
/// every lead and partial answer records the version it used.
public struct FormDefinition: Codable, Equatable, Sendable {
    /// The screens, in their default order.
    public var steps: [FormStep]
    /// Query-string parameters kept with the answers and sent with the lead (UTM, gclid…).
    public var hidden: [String]
    /// Text of the final button (the one that sends the lead).
    public var submitLabel: String?

    public init(steps: [FormStep], hidden: [String] = FormDefinition.defaultHidden, submitLabel: String? = nil) {
        self.steps = steps
        self.hidden = hidden
        self.submitLabel = submitLabel
    }

    public static let defaultHidden = [
        "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "gclid", "fbclid",
    ]

    enum CodingKeys: String, CodingKey {
        case steps, hidden
        case submitLabel = "submit_label"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        steps = try container.decode([FormStep].self, forKey: .steps)
        hidden = try container.decodeIfPresent([String].self, forKey: .hidden) ?? Self.defaultHidden
        submitLabel = try container.decodeIfPresent(String.self, forKey: .submitLabel)
    }

    public func step(_ id: String) -> FormStep? { steps.first { $0.id == id } }

    /// Every field of every screen, in order.
    public var fields: [FormField] { steps.flatMap(\.fields) }

    public func field(_ id: String) -> FormField? { fields.first { $0.id == id } }

    /// The screen a visitor sees first.
    public var firstStep: FormStep? { steps.first { $0.kind.isQuestionFlow } }

    /// 1-based position of a screen among the screens that ask or inform (for `form_step` events).
    public func position(of stepId: String) -> Int? {
        steps.filter(\.kind.isQuestionFlow).firstIndex { $0.id == stepId }.map { $0 + 1 }
    }
}

/// One screen of a hosted form.
public struct FormStep: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Questions to answer (the default).
        case question
        /// A screen of text with a « Continuer » button.
        case info
        /// Shown when logic disqualifies the visitor: no contact fields after it, no lead.
        case disqualification
        /// Shown after the lead is sent (unless the form redirects to a thank-you URL).
        case thankYou = "thank_you"

        /// Screens reached by walking the form, as opposed to its two endings.
        public var isQuestionFlow: Bool { self == .question || self == .info }

        public var label: String {
            switch self {
            case .question: return "Questions"
            case .info: return "Information"
            case .disqualification: return "Non éligible"
            case .thankYou: return "Remerciement"
            }
        }
    }

    public var id: String
    public var kind: Kind
    public var title: String
    public var text: String?
    public var fields: [FormField]
    /// Evaluated in order when the visitor leaves this screen: the first jump or
    /// disqualification that applies decides the next screen; variables and requirements add up.
    public var logic: [FormRule]

    public init(
        id: String, kind: Kind = .question, title: String, text: String? = nil, fields: [FormField] = [],
        logic: [FormRule] = []
    ) {
        self.id = id
        self.kind = kind
        self.title = title
        self.text = text
        self.fields = fields
        self.logic = logic
    }

    enum CodingKeys: String, CodingKey { case id, kind, title, text, fields, logic }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        kind = try container.decodeIfPresent(Kind.self, forKey: .kind) ?? .question
        title = try container.decode(String.self, forKey: .title)
        text = try container.decodeIfPresent(String.self, forKey: .text)
        fields = try container.decodeIfPresent([FormField].self, forKey: .fields) ?? []
        logic = try container.decodeIfPresent([FormRule].self, forKey: .logic) ?? []
    }

    /// A screen whose only field is a card choice advances as soon as a card is clicked.
    public var advancesOnChoice: Bool {
        fields.count == 1 && fields[0].kind.advancesOnChoice
    }
}

/// One question (or block of inputs) of a screen. Its `id` is stable across versions: it names
/// the answer in partial answers, in logic, and (unless `maps` says otherwise) in the lead.
public struct FormField: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Picture or icon cards, one answer, advances on click.
        case cards
        /// Several answers (check boxes).
        case multipleChoice = "multiple_choice"
        case yesNo = "yes_no"
        /// Ranges (electricity bill, surface): one answer, advances on click.
        case brackets
        /// French postal code, then the commune among those of that code.
        case postalCode = "postal_code"
        case phone
        case email
        /// Civilité, nom and prénom.
        case identity
        case address
        /// Phone and e-mail contact, each an unticked box, with the partners' list.
        case consent

        public var advancesOnChoice: Bool { self == .cards || self == .brackets || self == .yesNo }

        public var hasOptions: Bool { self == .cards || self == .brackets || self == .multipleChoice }

        public var label: String {
            switch self {
            case .cards: return "Cartes à choix (images ou icônes)"
            case .multipleChoice: return "Choix multiple"
            case .yesNo: return "Oui / non"
            case .brackets: return "Tranches (facture, surface…)"
            case .postalCode: return "Code postal et commune"
            case .phone: return "Téléphone"
            case .email: return "E-mail"
            case .identity: return "Civilité, nom et prénom"
            case .address: return "Adresse"
            case .consent: return "Consentement"
            }
        }

        /// The lead field an answer of this kind fills when the field does not say.
        var defaultLeadField: String? {
            switch self {
            case .postalCode: return "code_postal"
            case .phone: return "phone"
            case .email: return "email"
            case .address: return "adresse"
            default: return nil
            }
        }
    }

    public var id: String
    public var kind: Kind
    public var label: String
    public var help: String?
    public var required: Bool
    public var options: [FormOption]
    /// The lead field this answer fills (`type_logement`, `facture_electricite`…); by default the
    /// field's id, as an extra field when it is not a lead field.
    public var maps: String?

    public init(
        id: String, kind: Kind, label: String, help: String? = nil, required: Bool = true, options: [FormOption] = [],
        maps: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.label = label
        self.help = help
        self.required = required
        self.options = options
        self.maps = maps
    }

    enum CodingKeys: String, CodingKey { case id, kind, label, help, required, options, maps }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        kind = try container.decode(Kind.self, forKey: .kind)
        label = try container.decode(String.self, forKey: .label)
        help = try container.decodeIfPresent(String.self, forKey: .help)
        required = try container.decodeIfPresent(Bool.self, forKey: .required) ?? true
        options = try container.decodeIfPresent([FormOption].self, forKey: .options) ?? []
        maps = try container.decodeIfPresent(String.self, forKey: .maps)
    }

    /// The choices a visitor can make: the options, or oui/non.
    public var choices: [FormOption] {
        kind == .yesNo ? [FormOption(value: "oui", label: "Oui"), FormOption(value: "non", label: "Non")] : options
    }

    /// The lead field the answer goes to.
    public var leadField: String { maps ?? kind.defaultLeadField ?? id }
}

/// One card or choice.
public struct FormOption: Codable, Equatable, Sendable {
    public var value: String
    public var label: String
    /// One of `FormIcon.names`, drawn inline (no request).
    public var icon: String?
    /// An image URL (the account's médiathèque), instead of an icon.
    public var image: String?

    public init(value: String, label: String, icon: String? = nil, image: String? = nil) {
        self.value = value
        self.label = label
        self.icon = icon
        self.image = image
    }
}
