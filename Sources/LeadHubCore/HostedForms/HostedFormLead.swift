import Foundation

/// The consent block of a hosted form as shown: the introduction, the phone box, the e-mail box
/// (both unticked), and the partners the lead may be passed to, with their list's version. The
/// exact text shown is what is stored (and hashed) with the lead.
public struct ConsentWording: Equatable, Sendable {
    public var introduction: String
    public var phone: String
    public var email: String
    public var partners: [String]
    public var partnersVersion: Int?

    public static let defaultPhone =
        "J'accepte d'être recontacté(e) par téléphone au sujet de mon projet, par cette marque et les partenaires listés ci-dessous."
    public static let defaultEmail = "J'accepte de recevoir par e-mail des informations sur mon projet."

    public init(field: FormField, partners: [String], partnersVersion: Int?) {
        introduction = field.label
        phone = field.options.first { $0.value == "phone" }?.label ?? Self.defaultPhone
        email = field.options.first { $0.value == "email" }?.label ?? Self.defaultEmail
        self.partners = partners
        self.partnersVersion = partnersVersion
    }

    /// The sentence naming the partners, as shown under the boxes.
    public var partnersLine: String {
        guard !partners.isEmpty else { return "Vos coordonnées ne sont transmises à aucun partenaire." }
        let version = partnersVersion.map { " (liste n° \($0))" } ?? ""
        return "Partenaires susceptibles de vous contacter\(version) : " + partners.joined(separator: ", ") + "."
    }

    /// Everything shown, one line per element, in the order of the page.
    public var text: String {
        [introduction, "☐ " + phone, "☐ " + email, partnersLine].filter { !$0.isEmpty }.joined(separator: "\n")
    }
}

/// The lead a completed hosted form sends: the answers mapped to lead fields (extra fields for
/// the others), the variables logic set, the hidden fields read from the URL, and the consent.
public enum HostedFormLead {
    public struct Context: Sendable {
        public var formCode: String
        public var hidden: [String: String]
        public var consent: ConsentWording?
        public var pageURL: String?

        public init(formCode: String, hidden: [String: String], consent: ConsentWording?, pageURL: String?) {
            self.formCode = formCode
            self.hidden = hidden
            self.consent = consent
            self.pageURL = pageURL
        }
    }

    public static func body(_ definition: FormDefinition, answers: FormAnswers, context: Context) -> [String: JSONValue]
    {
        var body: [String: JSONValue] = ["form_code": .string(context.formCode)]
        for (name, value) in context.hidden where !value.isEmpty {
            body[name == "lp" ? "lp_code" : name] = .string(value)
        }
        for (name, value) in answers.variables { body[name] = .string(value) }
        let answered = Set(answers.path)
        for step in definition.steps where answered.contains(step.id) {
            for field in step.fields {
                let id = field.id
                switch field.kind {
                case .identity:
                    for part in ["civilite", "nom", "prenom"] {
                        if let value = answers.value(of: id + "." + part) { body[part] = .string(value) }
                    }
                case .postalCode:
                    if let code = answers.value(of: id) { body[field.leadField] = .string(code) }
                    if let commune = answers.value(of: id + ".commune") { body["ville"] = .string(commune) }
                case .consent:
                    var consent: [String: JSONValue] = [
                        "phone": .bool(answers.value(of: id + ".phone") == "oui"),
                        "email": .bool(answers.value(of: id + ".email") == "oui"),
                    ]
                    if let wording = context.consent {
                        consent["text"] = .string(wording.text)
                        if let version = wording.partnersVersion {
                            consent["partners_version"] = .string(String(version))
                        }
                    }
                    if let url = context.pageURL { consent["url"] = .string(url) }
                    body["consent"] = .object(consent)
                case .multipleChoice:
                    let values = answers.values(of: id)
                    if !values.isEmpty { body[field.leadField] = .string(values.joined(separator: ", ")) }
                default:
                    if let value = answers.value(of: id) { body[field.leadField] = .string(value) }
                }
            }
        }
        if let url = context.pageURL { body["page_url"] = .string(url) }
        return body
    }
}
