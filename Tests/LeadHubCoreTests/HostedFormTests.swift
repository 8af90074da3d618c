import Foundation
import Testing

@testable import LeadHubCore

/// Hosted forms: the templates are publishable, the walk follows the logic, every field kind
/// checks its answer in French, and a completed walk gives a lead the intake accepts.
@Suite struct HostedFormTests {
    static let communes: FormFlow.Communes = { code in
        switch code {
        case "75008": return ["Paris"]
        case "69530": return ["Brignais"]
        case "01400": return ["Abergement-Clémenciat", "Châtillon-sur-Chalaronne", "Dompierre-sur-Chalaronne"]
        default: return []
        }
    }

    /// Walks `definition` with one posted dictionary per screen; stops at the first error.
    func walk(_ definition: FormDefinition, _ posts: [[String: [String]]]) -> (FormAnswers, FormAdvance?, FieldErrors?)
    {
        var answers = FormAnswers()
        var current = definition.firstStep!
        var last: FormAdvance? = nil
        for posted in posts {
            switch FormFlow.answer(current, posted: posted, in: definition, answers: answers, communes: Self.communes) {
            case .failure(let errors): return (answers, last, errors)
            case .success(let (updated, advance)):
                answers = updated
                last = advance
                if case .next(let id) = advance {
                    current = definition.step(id)!
                } else {
                    return (answers, advance, nil)
                }
            }
        }
        return (answers, last, nil)
    }

    static let pvAnswers: [[String: [String]]] = [
        ["type_logement": ["maison"]],
        ["statut_occupant": ["proprietaire"]],
        ["code_postal": ["69530"]],
        ["facture_electricite": ["150 à 200 € par mois"]],
        ["orientation_toit": ["sud"]],
        ["delai_projet": ["3_mois"]],
        ["identite.civilite": ["Mme"], "identite.nom": ["Martin"], "identite.prenom": ["Claire"]],
        ["telephone": ["06 12 34 56 78"], "email": ["claire.martin@example.fr"]],
        ["consentement.phone": ["on"]],
    ]

    @Test(arguments: FormTemplates.all.map(\.code))
    func everyTemplateCanBePublishedAsItIs(code: String) {
        let template = FormTemplates.template(code)!
        #expect(template.definition.problems().isEmpty, "\(template.definition.problems().messages)")
    }

    @Test(arguments: FormTemplates.all.map(\.code))
    func templatesRoundTripThroughJSON(code: String) throws {
        let definition = FormTemplates.template(code)!.definition
        let data = try JSONEncoder().encode(definition)
        #expect(try JSONDecoder().decode(FormDefinition.self, from: data) == definition)
    }

    @Test func templatesNeverSoundOfficial() {
        for template in FormTemplates.all {
            for (_, text) in template.definition.texts {
                let folded = text.lowercased()
                #expect(!FormDefinition.forbiddenWording.contains { folded.contains($0) }, "\(text)")
                #expect(!folded.contains("officiel") && !folded.contains("état"), "\(text)")
            }
        }
    }

    @Test func thePVTemplateCompletedGivesALeadTheIntakeAccepts() throws {
        let definition = FormTemplates.pv
        let (answers, advance, errors) = walk(definition, Self.pvAnswers)
        #expect(errors == nil)
        #expect(advance == .complete)
        let wording = ConsentWording(
            field: definition.field("consentement")!, partners: ["Solaire Rhône", "EnR Conseil"], partnersVersion: 3)
        let body = HostedFormLead.body(
            definition, answers: answers,
            context: .init(
                formCode: "PV-HOST", hidden: ["utm_source": "google", "gclid": "abc"], consent: wording,
                pageURL: "https://leads.example.fr/f/PV-HOST"))
        #expect(body["phone"] == .string("0612345678"))
        #expect(body["ville"] == .string("Brignais"))
        #expect(body["civilite"] == .string("Mme"))
        #expect(body["orientation_toit"] == .string("sud"))
        #expect(body["utm_source"] == .string("google"))
        let lead = try LeadSubmission.validate(
            body, required: [.phone, .nom, .codePostal, .statutOccupant, .typeLogement]
        ).get()
        #expect(lead.nom == "Martin" && lead.prenom == "Claire")
        #expect(lead.codePostal == "69530" && lead.departement == "69")
        #expect(lead.statutOccupant == "proprietaire" && lead.typeLogement == "maison")
        #expect(lead.factureElectricite == "150 à 200 € par mois")
        #expect(lead.consent.phone && !lead.consent.email)
        #expect(lead.consent.text == wording.text)
        #expect(lead.consent.partnersVersion == "3")
        #expect(lead.consent.text?.contains("Solaire Rhône, EnR Conseil") == true)
        #expect(lead.attribution["gclid"] == "abc")
        #expect(lead.extra["delai_projet"] == .string("3_mois"))
    }

    @Test func aTenantIsDisqualifiedBeforeAnyContactField() {
        let (answers, advance, errors) = walk(
            FormTemplates.pv, [["type_logement": ["maison"]], ["statut_occupant": ["locataire"]]])
        #expect(errors == nil)
        #expect(advance == .disqualified("non_eligible"))
        #expect(answers.path == ["logement", "statut"])
        #expect(answers.value(of: "telephone") == nil)
    }

    @Test func answeringAnEarlierScreenAgainForgetsThePathAfterIt() {
        let definition = FormTemplates.pv
        var (answers, _, _) = walk(definition, Array(Self.pvAnswers.prefix(3)))
        #expect(answers.path == ["logement", "statut", "code_postal"])
        let result = FormFlow.answer(
            definition.step("statut")!, posted: ["statut_occupant": ["locataire"]], in: definition, answers: answers,
            communes: Self.communes)
        guard case .success(let (updated, advance)) = result else {
            Issue.record("refused")
            return
        }
        answers = updated
        #expect(advance == .disqualified("non_eligible"))
        #expect(answers.path == ["logement", "statut"])
    }

    @Test(arguments: [
        // (kind, posted, field with error, message fragment)
        (FormField.Kind.cards, [String: [String]](), "f", "Choisissez une réponse"),
        (.cards, ["f": ["inconnue"]], "f", "Réponse inconnue"),
        (.multipleChoice, [:], "f", "au moins une réponse"),
        (.yesNo, ["f": ["peut-être"]], "f", "Réponse inconnue"),
        (.postalCode, ["f": ["7500"]], "f", "5 chiffres"),
        (.postalCode, ["f": ["00100"]], "f", "5 chiffres"),
        (.postalCode, ["f": ["01400"]], "f.commune", "commune"),
        (.postalCode, ["f": ["01400"], "f.commune": ["Lyon"]], "f.commune", "commune"),
        (.phone, ["f": ["12"]], "f", "téléphone"),
        (.phone, [:], "f", "numéro de téléphone"),
        (.email, ["f": ["pas-un-email"]], "f", "e-mail invalide"),
        (.identity, ["f.civilite": ["X"], "f.nom": ["Martin"], "f.prenom": ["Léa"]], "f.civilite", "Civilité"),
        (.identity, ["f.civilite": ["M"], "f.nom": ["1234"], "f.prenom": ["Léa"]], "f.nom", "aucune lettre"),
        (.address, [:], "f", "adresse"),
        (.consent, ["f.email": ["on"]], "f.phone", "Cochez cette case"),
    ])
    func eachFieldKindRefusesWhatItCannotUse(
        kind: FormField.Kind, posted: [String: [String]], input: String, fragment: String
    ) {
        let options =
            kind.hasOptions ? [FormOption(value: "a", label: "A"), FormOption(value: "b", label: "B")] : []
        let field = FormField(id: "f", kind: kind, label: "Question", options: options)
        let step = FormStep(id: "s", title: "Écran", fields: [field])
        let definition = FormDefinition(steps: [step])
        let result = FormFlow.answer(step, posted: posted, in: definition, answers: .init(), communes: Self.communes)
        guard case .failure(let errors) = result else {
            Issue.record("accepted \(posted)")
            return
        }
        let messages = errors.messages[input] ?? []
        #expect(messages.contains { $0.localizedCaseInsensitiveContains(fragment) }, "\(errors.messages)")
    }

    @Test func aPostalCodeWithOneCommuneNeedsNoChoiceAndSeveralNeedOne() {
        let field = FormField(id: "cp", kind: .postalCode, label: "Code postal")
        let step = FormStep(id: "s", title: "Où ?", fields: [field])
        let definition = FormDefinition(steps: [step])
        let one = FormFlow.answer(
            step, posted: ["cp": ["75 008"]], in: definition, answers: .init(), communes: Self.communes)
        guard case .success(let (answers, _)) = one else {
            Issue.record("refused")
            return
        }
        #expect(answers.value(of: "cp") == "75008" && answers.value(of: "cp.commune") == "Paris")
        let chosen = FormFlow.answer(
            step, posted: ["cp": ["01400"], "cp.commune": ["Châtillon-sur-Chalaronne"]], in: definition,
            answers: .init(), communes: Self.communes)
        guard case .success(let (picked, _)) = chosen else {
            Issue.record("refused")
            return
        }
        #expect(picked.value(of: "cp.commune") == "Châtillon-sur-Chalaronne")
    }

    @Test func logicNestsAllAnyAndNotAndAppliesSetAndRequire() throws {
        let json = """
            {"steps": [
              {"id": "q1", "title": "Facture ?", "fields": [{"id": "facture", "kind": "brackets", "label": "Facture",
                "options": [{"value": "50", "label": "50 €"}, {"value": "150", "label": "150 €"}, {"value": "250", "label": "250 €"}]}],
               "logic": [
                 {"when": {"all": [{"field": "facture", "op": "greater_than", "value": "100"},
                                   {"not": {"field": "facture", "op": "equals", "value": "250"}}]},
                  "then": [{"set": "segment", "value": "moyen"}, {"require": "email"}, {"jump": "q3"}]},
                 {"when": {"any": [{"field": "facture", "op": "equals", "value": "250"}]},
                  "then": [{"set": "segment", "value": "fort"}]}
               ]},
              {"id": "q2", "title": "Sauté ?", "fields": [{"id": "x", "kind": "yes_no", "label": "X"}]},
              {"id": "q3", "title": "Contact", "fields": [{"id": "phone", "kind": "phone", "label": "Tél"},
                 {"id": "email", "kind": "email", "label": "E-mail", "required": false},
                 {"id": "ok", "kind": "consent", "label": "Accord"}]}
            ]}
            """
        let definition = try JSONDecoder().decode(FormDefinition.self, from: Data(json.utf8))
        #expect(definition.problems().isEmpty, "\(definition.problems().messages)")
        #expect(definition.hidden == FormDefinition.defaultHidden)
        let q1 = definition.step("q1")!
        guard
            case .success(let (answers, advance)) = FormFlow.answer(
                q1, posted: ["facture": ["150"]], in: definition, answers: .init(), communes: Self.communes)
        else {
            Issue.record("refused")
            return
        }
        #expect(advance == .next("q3"))
        #expect(answers.variables == ["segment": "moyen"])
        #expect(answers.required == ["email"])
        // The e-mail, optional in the definition, is now required.
        let q3 = definition.step("q3")!
        guard
            case .failure(let errors) = FormFlow.answer(
                q3, posted: ["phone": ["0612345678"], "ok.phone": ["on"]], in: definition, answers: answers,
                communes: Self.communes)
        else {
            Issue.record("accepted without the required e-mail")
            return
        }
        #expect(errors.messages["email"] != nil)
        // 250: the first rule does not hold, the second sets « fort » and the walk goes on in order.
        guard
            case .success(let (strong, next)) = FormFlow.answer(
                q1, posted: ["facture": ["250"]], in: definition, answers: .init(), communes: Self.communes)
        else {
            Issue.record("refused")
            return
        }
        #expect(next == .next("q2"))
        #expect(strong.variables["segment"] == "fort")
    }

    @Test func problemsNameWhatCannotBePublished() {
        let definition = FormDefinition(steps: [
            FormStep(
                id: "Q 1", title: "Aides de l'État pour votre maison",
                fields: [
                    FormField(
                        id: "t", kind: .cards, label: "Type",
                        options: [FormOption(value: "a", label: "A", icon: "licorne")])
                ],
                logic: [
                    FormRule(
                        when: FormComparison.field("zz", .answered), then: [.jump("nulle-part"), .disqualify("t")])
                ]),
            FormStep(id: "c", title: "Contact", fields: [FormField(id: "e", kind: .email, label: "E-mail")]),
        ])
        let problems = definition.problems().messages
        #expect(problems["steps[0].id"] != nil)
        #expect(problems["steps[0].title"]?.first?.contains("Formulation interdite") == true)
        #expect(problems["steps[0].fields[0].options"]?.contains { $0.contains("deux choix") } == true)
        #expect(problems["steps[0].fields[0].options"]?.contains { $0.contains("Icône inconnue") } == true)
        #expect(problems["steps[0].logic[0]"]?.count == 3)
        #expect(problems["steps"]?.contains { $0.contains("Consentement") } == true)
    }

    @Test func consentBeforeTheContactFieldsIsRefused() {
        var steps = FormTemplates.pv.steps
        let consent = steps.firstIndex { $0.id == "consentement" }!
        let moved = steps.remove(at: consent)
        steps.insert(moved, at: 2)
        #expect(FormDefinition(steps: steps).problems().messages.values.joined().contains { $0.contains("après") })
    }

    @Test func positionsCountOnlyTheScreensAVisitorWalks() {
        let definition = FormTemplates.pv
        #expect(definition.position(of: "logement") == 1)
        #expect(definition.position(of: "consentement") == 9)
        #expect(definition.position(of: "non_eligible") == nil)
        #expect(definition.position(of: "merci") == nil)
    }

    @Test func everyIconIsInlineSVG() {
        for name in FormIcon.names {
            let svg = FormIcon.svg(name) ?? ""
            #expect(svg.hasPrefix("<svg") && svg.contains("aria-hidden=\"true\"") && !svg.contains("http"), "\(name)")
        }
        #expect(FormIcon.svg("licorne") == nil)
    }
}
