import Foundation
import Testing

@testable import LeadHubCore

@Suite struct FrenchPhoneTests {
    @Test(arguments: [
        ("06 12 34 56 78", "+33612345678", "0612345678"),
        ("0612345678", "+33612345678", "0612345678"),
        ("+33612345678", "+33612345678", "0612345678"),
        ("+33 6 12 34 56 78", "+33612345678", "0612345678"),
        ("0033 6 12 34 56 78", "+33612345678", "0612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678", "0612345678"),
        ("06.12.34.56.78", "+33612345678", "0612345678"),
        ("06-12-34-56-78", "+33612345678", "0612345678"),
        ("612345678", "+33612345678", "0612345678"),
        ("33612345678", "+33612345678", "0612345678"),
        ("01 42 68 53 00", "+33142685300", "0142685300"),
        ("07 81 23 45 67", "+33781234567", "0781234567"),
        ("09 70 12 34 56", "+33970123456", "0970123456"),
        ("0690 12 34 56", "+590690123456", "0690123456"),
        ("0692 12 34 56", "+262692123456", "0692123456"),
        ("+262 692 12 34 56", "+262692123456", "0692123456"),
        ("0596 12 34 56", "+596596123456", "0596123456"),
    ])
    func acceptsFrenchNumbers(raw: String, e164: String, national: String) throws {
        let phone = try FrenchPhone.parse(raw).get()
        #expect(phone.e164 == e164)
        #expect(phone.national == national)
    }

    @Test(arguments: [
        ("", FrenchPhone.Problem.empty), ("061234567", .wrongLength), ("06123456789", .wrongLength),
        ("+44 20 7946 0958", .notFrench), ("+1 212 555 0100", .notFrench), ("06 12 34 56 7a", .notFrench),
        ("08 00 12 34 56", .notAPersonalNumber), ("06 66 66 66 66", .fake), ("00 00 00 00 00", .notFrench),
        ("0612345678; DROP", .notFrench),
    ])
    func rejectsWithAClearReason(raw: String, problem: FrenchPhone.Problem) {
        #expect(FrenchPhone.parse(raw) == .failure(problem))
    }

    @Test func problemsSpeakFrench() {
        #expect(FrenchPhone.Problem.wrongLength.message.contains("10 chiffres"))
    }

    @Test func masksForLogs() {
        #expect(FrenchPhone.masked("+33612345678") == "+336******78")
    }
}

@Suite struct DepartementTests {
    @Test(arguments: [
        ("75008", "75"), ("01000", "01"), ("13001", "13"), ("20090", "2A"), ("20167", "2A"), ("20200", "2B"),
        ("20600", "2B"), ("97400", "974"), ("97100", "971"), ("97600", "976"), ("95000", "95"),
    ])
    func departementFromPostalCode(code: String, expected: String) {
        #expect(Departement.from(postalCode: code) == expected)
    }

    @Test(arguments: ["", "7500", "750081", "00100", "98000", "97700", "20300", "7500A"])
    func unknownPostalCodes(code: String) {
        #expect(Departement.from(postalCode: code) == nil)
    }

    @Test func listAndMetropolitan() {
        // 96 metropolitan, 5 overseas départements, and Saint-Pierre-et-Miquelon (975) which has postal codes too.
        #expect(Departement.all.count == 102)
        #expect(Departement.isMetropolitan("2A"))
        #expect(!Departement.isMetropolitan("974"))
        #expect(!Departement.isValid("20"))
    }
}

@Suite struct LeadSubmissionTests {
    func body(_ fields: [String: JSONValue]) -> [String: JSONValue] { fields }

    @Test func normalizesAFullLead() throws {
        let lead = try LeadSubmission.validate([
            "phone": .string("06 12 34 56 78"), "civilite": .string("Madame"), "nom": .string(" Dupont "),
            "prenom": .string("Marie"), "email": .string("Marie.Dupont@Exemple.fr"), "code_postal": .string("20 090"),
            "type_logement": .string("Maison individuelle"), "statut_occupant": .string("Propriétaire"),
            "surface_habitable": .number(112.4), "chauffage_actuel": .string("fioul"),
            "facture_electricite": .number(180), "utm_source": .string("taboola"), "gclid": .string("abc"),
            "consent": .object(["phone": .bool(true), "email": .bool(false), "text": .string("J'accepte…")]),
            "lp_code": .string("LP-001"), "projet": .string("toiture sud"), "budget": .number(12000),
        ]).get()
        #expect(lead.phone.e164 == "+33612345678")
        #expect(lead.civilite == "Mme")
        #expect(lead.nom == "Dupont")
        #expect(lead.email == "marie.dupont@exemple.fr")
        #expect(lead.codePostal == "20090")
        #expect(lead.departement == "2A")
        #expect(lead.typeLogement == "maison")
        #expect(lead.statutOccupant == "proprietaire")
        #expect(lead.surfaceHabitable == 112)
        #expect(lead.factureElectricite == "180")
        #expect(lead.attribution == ["utm_source": "taboola", "gclid": "abc"])
        #expect(lead.consent.phone && !lead.consent.email)
        #expect(lead.lpCode == "LP-001")
        #expect(lead.extra == ["projet": .string("toiture sud"), "budget": .number(12000)])
    }

    @Test func gathersEveryErrorAtOnce() {
        let result = LeadSubmission.validate(
            [
                "phone": .string("12"), "email": .string("pas-une-adresse"), "code_postal": .string("7500"),
                "civilite": .string("Docteur"), "surface_habitable": .string("immense"),
                "statut_occupant": .string("squatteur"), "consent": .string("oui"),
            ], required: [.phone, .nom])
        guard case .failure(let errors) = result else {
            Issue.record("expected errors")
            return
        }
        #expect(
            Set(errors.messages.keys) == [
                "phone", "email", "code_postal", "civilite", "surface_habitable", "statut_occupant", "consent", "nom",
            ])
        #expect(errors.first("nom") == "Ce champ est obligatoire pour ce produit.")
    }

    @Test func departementMustMatchThePostalCode() {
        let result = LeadSubmission.validate([
            "phone": .string("0612345678"), "code_postal": .string("75008"), "departement": .string("92"),
        ])
        #expect(
            result
                == .failure(FieldErrors(["departement": ["Le département 92 ne correspond pas au code postal 75008."]]))
        )
        let alone = try? LeadSubmission.validate(["phone": .string("0612345678"), "departement": .string("2a")]).get()
        #expect(alone?.departement == "2A")
    }

    @Test func metropolitanOnlyFormsRefuseOverseas() {
        let result = LeadSubmission.validate(
            ["phone": .string("0612345678"), "code_postal": .string("97400")], metropolitanOnly: true)
        guard case .failure(let errors) = result else {
            Issue.record("expected errors")
            return
        }
        #expect(errors.first("code_postal") == "Ce formulaire n'accepte que la France métropolitaine.")
    }

    @Test func extraFieldsAreBounded() {
        var body: [String: JSONValue] = ["phone": .string("0612345678")]
        for index in 0..<31 { body["champ_\(index)"] = .string("x") }
        body["mauvais nom"] = .string("x")
        body["long"] = .string(String(repeating: "x", count: 1_001))
        body["objet"] = .object(["a": .number(1)])
        guard case .failure(let errors) = LeadSubmission.validate(body) else {
            Issue.record("expected errors")
            return
        }
        #expect(errors.messages["mauvais nom"] != nil)
        #expect(errors.messages["objet"] != nil)
        #expect(errors.messages.values.flatMap { $0 }.contains { $0.contains("Trop de champs") })
    }

    @Test func missingPhoneIsTheFirstError() {
        guard case .failure(let errors) = LeadSubmission.validate([:]) else {
            Issue.record("expected errors")
            return
        }
        #expect(errors.messages == ["phone": ["Le numéro de téléphone est obligatoire."]])
    }
}

@Suite struct JSONValueTests {
    @Test func canonicalTextSortsKeysAndEscapes() {
        let value = JSONValue.object([
            "b": .number(2), "a": .string("é \"x\"\n"), "c": .array([.bool(true), .null, .number(1.5)]),
        ])
        #expect(value.canonical == #"{"a":"é \"x\"\n","b":2,"c":[true,null,1.5]}"#)
    }

    @Test func foldRemovesFrenchAccents() {
        #expect(LeadSubmission.fold("Propriétaire À Cœur") == "proprietaire a coeur")
    }
}

@Suite struct JSONParserTests {
    @Test func parsesWhatJSONDecoderParses() throws {
        let samples = [
            #"{"a": 1, "b": [true, false, null], "c": {"d": "é\u00e9\n\"\\"}, "e": -1.5e3, "f": ""}"#,
            #"  [ 1 , "x" ] "#, #""\ud83d\ude00""#, "0", "{}", "[]",
        ]
        for sample in samples {
            let expected = try JSONDecoder().decode(JSONValue.self, from: Data(sample.utf8))
            #expect(try JSONParser.parse(Array(sample.utf8)) == expected, "\(sample)")
        }
    }

    @Test(arguments: [#"{"a": }"#, #"{"a" 1}"#, "[1,]", #""\x""#, "01x", "nul", #"{"a": 1} x"#, "", "\"\u{01}\"", "1e"])
    func rejectsMalformedJSON(sample: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(sample.utf8)) }
    }

    @Test func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(deep.utf8)) }
    }
}
