import Foundation

extension FormDefinition {
    public static let maxSteps = 40
    public static let maxFieldsPerStep = 8
    public static let maxOptions = 24
    static let maxIdLength = 40

    /// Wording that would make a visitor believe the form is run by, or for, the State: a hosted
    /// form never says it (the trade's rule, and the partners' contracts).
    public static let forbiddenWording = [
        "gouvernement", "ministère", "ministere", "service public", "programme officiel", "site officiel",
        "dispositif officiel", "organisme officiel", "aide de l'état", "aides de l'état", "aide de l'etat",
        "aides de l'etat", "financé par l'état", "financé par l'etat", "république française", "agréé par l'état",
        "plateforme officielle", "programme national", "programme gouvernemental",
    ]

    /// Everything that would make this definition unusable or misleading, keyed by where it is
    /// (`steps[2].fields[0].options`), in French. Empty when it can be published.
    public func problems() -> FieldErrors {
        var errors = FieldErrors()
        if steps.isEmpty { errors.add("steps", "Ajoutez au moins un écran.") }
        if steps.count > Self.maxSteps { errors.add("steps", "\(Self.maxSteps) écrans au plus.") }
        if !steps.contains(where: { $0.kind == .question }) {
            errors.add("steps", "Ajoutez au moins un écran de questions.")
        }
        var stepIds = Set<String>()
        var fieldIds = Set<String>()
        var kinds: [FormField.Kind: Int] = [:]
        for (s, step) in steps.enumerated() {
            let at = "steps[\(s)]"
            if !Self.isValidId(step.id) {
                errors.add(at + ".id", "Identifiant invalide : lettres minuscules, chiffres, - et _ (40 au plus).")
            } else if !stepIds.insert(step.id).inserted {
                errors.add(at + ".id", "L'identifiant « \(step.id) » est déjà pris par un autre écran.")
            }
            if step.title.trimmingCharacters(in: .whitespaces).isEmpty {
                errors.add(at + ".title", "Donnez un titre à cet écran.")
            }
            if step.kind == .question, step.fields.isEmpty {
                errors.add(at + ".fields", "Un écran de questions pose au moins une question.")
            }
            if step.kind != .question, !step.fields.isEmpty {
                errors.add(at + ".fields", "Seul un écran de questions contient des champs.")
            }
            if step.fields.count > Self.maxFieldsPerStep {
                errors.add(at + ".fields", "\(Self.maxFieldsPerStep) champs au plus par écran.")
            }
            for (f, field) in step.fields.enumerated() {
                let fieldAt = at + ".fields[\(f)]"
                kinds[field.kind, default: 0] += 1
                if !Self.isValidId(field.id) {
                    errors.add(
                        fieldAt + ".id", "Identifiant invalide : lettres minuscules, chiffres, - et _ (40 au plus).")
                } else if !fieldIds.insert(field.id).inserted {
                    errors.add(fieldAt + ".id", "L'identifiant « \(field.id) » est déjà pris par un autre champ.")
                }
                if field.label.trimmingCharacters(in: .whitespaces).isEmpty {
                    errors.add(fieldAt + ".label", "Donnez un libellé à ce champ.")
                }
                if let maps = field.maps, !Self.isValidId(maps) {
                    errors.add(fieldAt + ".maps", "Nom de champ du lead invalide.")
                }
                if field.kind.hasOptions {
                    if field.options.count < 2 { errors.add(fieldAt + ".options", "Proposez au moins deux choix.") }
                    if field.options.count > Self.maxOptions {
                        errors.add(fieldAt + ".options", "\(Self.maxOptions) choix au plus.")
                    }
                    var values = Set<String>()
                    for option in field.options {
                        if option.value.isEmpty || option.label.trimmingCharacters(in: .whitespaces).isEmpty {
                            errors.add(fieldAt + ".options", "Chaque choix a une valeur et un libellé.")
                        } else if !values.insert(option.value).inserted {
                            errors.add(fieldAt + ".options", "La valeur « \(option.value) » est donnée deux fois.")
                        }
                        if let icon = option.icon, !FormIcon.names.contains(icon) {
                            errors.add(fieldAt + ".options", "Icône inconnue : \(icon).")
                        }
                    }
                }
            }
        }
        for kind in [FormField.Kind.phone, .email, .identity, .postalCode, .consent, .address]
        where kinds[kind, default: 0] > 1 {
            errors.add("steps", "Un seul champ « \(kind.label) » par formulaire.")
        }
        if kinds[.phone, default: 0] + kinds[.email, default: 0] == 0 {
            errors.add("steps", "Ajoutez un champ téléphone ou e-mail : sans lui, le lead ne peut être recontacté.")
        } else if kinds[.consent, default: 0] == 0 {
            errors.add("steps", "Ajoutez un champ « Consentement » : il est obligatoire pour recontacter le lead.")
        }
        if let position = steps.firstIndex(where: { $0.fields.contains { $0.kind == .consent } }),
            let contact = steps.lastIndex(where: { $0.fields.contains { $0.kind == .phone || $0.kind == .email } }),
            position < contact
        {
            errors.add("steps[\(position)]", "Le consentement vient après (ou avec) le téléphone et l'e-mail.")
        }
        checkLogic(stepIds: stepIds, fieldIds: fieldIds, errors: &errors)
        for name in hidden where !Self.isValidId(name) {
            errors.add("hidden", "Paramètre caché invalide : « \(name) ».")
        }
        for (place, text) in texts {
            let folded = text.lowercased()
            if let phrase = Self.forbiddenWording.first(where: { folded.contains($0) }) {
                errors.add(
                    place,
                    "Formulation interdite (« \(phrase) ») : elle laisse croire à un organisme ou programme officiel.")
            }
        }
        return errors
    }

    private func checkLogic(stepIds: Set<String>, fieldIds: Set<String>, errors: inout FieldErrors) {
        for (s, step) in steps.enumerated() {
            for (r, rule) in step.logic.enumerated() {
                let at = "steps[\(s)].logic[\(r)]"
                for reference in rule.when.references {
                    if let field = reference.field, !fieldIds.contains(field) {
                        errors.add(at, "La condition lit un champ inconnu : « \(field) ».")
                    }
                    if reference.field == nil, reference.variable == nil {
                        errors.add(at, "Une condition porte sur un champ ou une variable.")
                    }
                }
                if rule.then.isEmpty { errors.add(at, "Une règle fait au moins une action.") }
                for action in rule.then {
                    switch action {
                    case .jump(let target):
                        if self.step(target)?.kind.isQuestionFlow != true {
                            errors.add(at, "Saut vers un écran inconnu : « \(target) ».")
                        } else if target == step.id {
                            errors.add(at, "Un écran ne peut pas sauter vers lui-même.")
                        }
                    case .disqualify(let target):
                        if self.step(target)?.kind != .disqualification {
                            errors.add(at, "« \(target) » n'est pas un écran « Non éligible ».")
                        }
                    case .require(let field):
                        if !fieldIds.contains(field) {
                            errors.add(at, "Champ à rendre obligatoire inconnu : « \(field) ».")
                        }
                    case .set(let name, _):
                        if !Self.isValidId(name) { errors.add(at, "Nom de variable invalide : « \(name) ».") }
                    }
                }
            }
        }
    }

    /// Every text a visitor reads, with where it is.
    var texts: [(String, String)] {
        var out: [(String, String)] = []
        if let submitLabel { out.append(("submit_label", submitLabel)) }
        for (s, step) in steps.enumerated() {
            out.append(("steps[\(s)].title", step.title))
            if let text = step.text { out.append(("steps[\(s)].text", text)) }
            for (f, field) in step.fields.enumerated() {
                let at = "steps[\(s)].fields[\(f)]"
                out.append((at + ".label", field.label))
                if let help = field.help { out.append((at + ".help", help)) }
                for option in field.options { out.append((at + ".options", option.label)) }
            }
        }
        return out
    }

    static func isValidId(_ id: String) -> Bool {
        !id.isEmpty && id.count <= maxIdLength
            && id.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-") }
    }
}
