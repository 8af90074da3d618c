import Foundation

/// What a visitor has answered so far: values by input name (`type_logement`, or the parts of a
/// block: `identite.nom`, `code_postal.commune`, `consentement.phone`), variables set by logic,
/// fields logic made required, and the screens answered in order (for « Retour »).
public struct FormAnswers: Codable, Equatable, Sendable {
    public var values: [String: [String]]
    public var variables: [String: String]
    public var required: [String]
    public var path: [String]

    public init(
        values: [String: [String]] = [:], variables: [String: String] = [:], required: [String] = [],
        path: [String] = []
    ) {
        self.values = values
        self.variables = variables
        self.required = required
        self.path = path
    }

    public func values(of input: String) -> [String] { values[input] ?? [] }

    public func value(of input: String) -> String? { values[input]?.first }
}

/// Where a visitor goes after answering a screen.
public enum FormAdvance: Equatable, Sendable {
    case next(String)
    case disqualified(String)
    /// The last screen is answered: the lead can be sent.
    case complete
}

/// The walk through a hosted form: checks a screen's answers, records them, and decides the next
/// screen from the screen's logic (else the next screen in order).
public enum FormFlow {
    /// Communes of a postal code, for the commune list (empty when the code is not known).
    public typealias Communes = @Sendable (String) -> [String]

    /// Checks the answers posted for `step` and returns the updated answers and the next screen,
    /// or the field errors (keyed by input name, in French).
    public static func answer(
        _ step: FormStep, posted: [String: [String]], in definition: FormDefinition, answers: FormAnswers,
        communes: Communes
    ) -> Result<(FormAnswers, FormAdvance), FieldErrors> {
        var updated = answers
        var errors = FieldErrors()
        for field in step.fields {
            let required = field.required || answers.required.contains(field.id)
            for key in inputs(of: field) { updated.values[key] = nil }
            let accepted = check(field, posted: posted, required: required, communes: communes, errors: &errors)
            for (key, values) in accepted where !values.isEmpty { updated.values[key] = values }
        }
        if !errors.isEmpty { return .failure(errors) }
        if let index = updated.path.firstIndex(of: step.id) {
            // Answering an earlier screen again: what came after it is walked again too.
            updated.path.removeSubrange(index...)
        }
        updated.path.append(step.id)
        var decided: FormAdvance? = nil
        for rule in step.logic where rule.when.holds(in: updated) {
            for action in rule.then {
                switch action {
                case .set(let name, let value): updated.variables[name] = value
                case .require(let field): if !updated.required.contains(field) { updated.required.append(field) }
                case .jump(let target): if decided == nil { decided = .next(target) }
                case .disqualify(let target): if decided == nil { decided = .disqualified(target) }
                }
            }
        }
        if let decided { return .success((updated, decided)) }
        let flow = definition.steps.filter(\.kind.isQuestionFlow)
        if let index = flow.firstIndex(where: { $0.id == step.id }), index + 1 < flow.count {
            return .success((updated, .next(flow[index + 1].id)))
        }
        return .success((updated, .complete))
    }

    /// The input names a field posts.
    public static func inputs(of field: FormField) -> [String] {
        switch field.kind {
        case .identity: return ["civilite", "nom", "prenom"].map { field.id + "." + $0 }
        case .postalCode: return [field.id, field.id + ".commune"]
        case .consent: return [field.id + ".phone", field.id + ".email"]
        default: return [field.id]
        }
    }

    static func check(
        _ field: FormField, posted: [String: [String]], required: Bool, communes: Communes,
        errors: inout FieldErrors
    ) -> [String: [String]] {
        func text(_ key: String, max: Int = 200) -> String? {
            guard let raw = posted[key]?.first?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else {
                return nil
            }
            return String(raw.prefix(max))
        }
        let id = field.id
        switch field.kind {
        case .cards, .brackets, .yesNo:
            guard let value = text(id) else {
                if required { errors.add(id, "Choisissez une réponse.") }
                return [:]
            }
            guard field.choices.contains(where: { $0.value == value }) else {
                errors.add(id, "Réponse inconnue : choisissez parmi les propositions.")
                return [:]
            }
            return [id: [value]]
        case .multipleChoice:
            let given = (posted[id] ?? []).filter { !$0.isEmpty }
            let known = given.filter { value in field.options.contains { $0.value == value } }
            if known.count != given.count {
                errors.add(id, "Réponse inconnue : choisissez parmi les propositions.")
                return [:]
            }
            if known.isEmpty, required { errors.add(id, "Choisissez au moins une réponse.") }
            var seen = Set<String>()
            return [id: known.filter { seen.insert($0).inserted }]
        case .postalCode:
            guard let raw = text(id, max: 10) else {
                if required { errors.add(id, "Indiquez votre code postal.") }
                return [:]
            }
            let code = raw.replacingOccurrences(of: " ", with: "")
            guard code.count == 5, code.allSatisfy(\.isASCIIDigit), Departement.from(postalCode: code) != nil else {
                errors.add(id, "Code postal invalide : 5 chiffres (ex. 75008).")
                return [:]
            }
            let names = communes(code)
            let chosen = text(id + ".commune", max: 100)
            if let chosen, !names.isEmpty, !names.contains(chosen) {
                errors.add(id + ".commune", "Choisissez votre commune dans la liste.")
                return [id: [code]]
            }
            if chosen == nil, names.count > 1 {
                errors.add(id + ".commune", "Choisissez votre commune dans la liste.")
                return [id: [code]]
            }
            let commune = chosen ?? names.first
            return [id: [code], id + ".commune": commune.map { [$0] } ?? []]
        case .phone:
            guard let raw = text(id, max: 40) else {
                if required { errors.add(id, "Indiquez votre numéro de téléphone.") }
                return [:]
            }
            switch FrenchPhone.parse(raw) {
            case .success(let phone): return [id: [phone.national]]
            case .failure(let problem):
                errors.add(id, problem.message)
                return [:]
            }
        case .email:
            guard let raw = text(id, max: 254) else {
                if required { errors.add(id, "Indiquez votre adresse e-mail.") }
                return [:]
            }
            guard let email = EmailAddress.normalize(raw) else {
                errors.add(id, "Adresse e-mail invalide (ex. prenom.nom@exemple.fr).")
                return [:]
            }
            return [id: [email]]
        case .identity:
            var out: [String: [String]] = [:]
            let civilite = text(id + ".civilite", max: 10)
            if let civilite, civilite != "M", civilite != "Mme" {
                errors.add(id + ".civilite", "Civilité invalide : Monsieur ou Madame.")
            } else if civilite == nil, required {
                errors.add(id + ".civilite", "Choisissez Monsieur ou Madame.")
            } else if let civilite {
                out[id + ".civilite"] = [civilite]
            }
            for (part, message) in [("nom", "Indiquez votre nom."), ("prenom", "Indiquez votre prénom.")] {
                guard let value = text(id + "." + part, max: 100) else {
                    if required { errors.add(id + "." + part, message) }
                    continue
                }
                guard value.contains(where: \.isLetter) else {
                    errors.add(id + "." + part, "Ce nom ne contient aucune lettre.")
                    continue
                }
                out[id + "." + part] = [value]
            }
            return out
        case .address:
            guard let value = text(id, max: 200) else {
                if required { errors.add(id, "Indiquez votre adresse.") }
                return [:]
            }
            return [id: [value]]
        case .consent:
            let phone = posted[id + ".phone"]?.contains(where: { ["on", "1", "true", "oui"].contains($0) }) ?? false
            let email = posted[id + ".email"]?.contains(where: { ["on", "1", "true", "oui"].contains($0) }) ?? false
            if required, !phone {
                errors.add(
                    id + ".phone", "Cochez cette case pour être rappelé : sans elle, personne ne peut vous contacter.")
            }
            return [id + ".phone": [phone ? "oui" : "non"], id + ".email": [email ? "oui" : "non"]]
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
