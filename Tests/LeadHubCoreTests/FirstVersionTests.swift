import Foundation
import Testing

@testable import LeadHubCore

@Suite struct FirstVersionTests {
    @Test(arguments: [
        ("LP-001_PV-001", "PV-001", "LP-001"),
        ("lp-tab-v1_PV-TAB-001", "PV-TAB-001", "LP-TAB-V1"),
        ("LP-XXX_PV-001", "PV-001", nil),
        ("LP-001_PV-001", nil, "LP-001"),
        ("LP_A_B_PAC-002", "PAC-002", "LP_A_B"),
        ("sans-liaison", "PV-001", nil),
        ("", "PV-001", nil),
    ] as [(String, String?, String?)])
    func landingPageCodeFromTheLiaisonCode(liaison: String, form: String?, expected: String?) {
        #expect(V1Compat.landingPageCode(liaison: liaison, formCode: form) == expected)
    }

    @Test func oldFieldNamesBecomeLeadHubs() {
        let body: [String: JSONValue] = [
            "form_id": "abc", "api_key": "secret", "register_date": .number(1_767_225_600), "phone": "0612345678",
            "superficie_logement": "120m²", "lp_code": "LP-XXX", "liaison_code": "LP-007_PV-001",
        ]
        let out = V1Compat.leadBody(body, formCode: "PV-001")
        #expect(out["form_id"] == nil && out["api_key"] == nil && out["register_date"] == nil)
        #expect(out["surface_habitable"] == "120m²")
        #expect(out["superficie_logement"] == nil)
        #expect(out["lp_code"] == "LP-007")
        #expect(out["liaison_code"] == "LP-007_PV-001")
        #expect(out["phone"] == "0612345678")
    }

    @Test func aGivenSurfaceHabitableWinsOverSuperficieLogement() {
        let out = V1Compat.leadBody(["surface_habitable": "90", "superficie_logement": "120"], formCode: nil)
        #expect(out["surface_habitable"] == "90")
    }

    @Test(arguments: [
        ("20090", "20", nil),  // Corse: the postal code says 2A
        ("97400", "97", nil),  // La Réunion: 974
        ("75008", "75", "75"),  // agrees: kept
        ("75008", "92", "92"),  // disagrees: kept, validation will say so
        ("", "69", "69"),
    ] as [(String, String, String?)])
    func departementPrefixGivesWayToThePostalCode(postal: String, departement: String, kept: String?) {
        var body: [String: JSONValue] = ["departement": .string(departement)]
        if !postal.isEmpty { body["code_postal"] = .string(postal) }
        let out = V1Compat.leadBody(body, formCode: nil)
        #expect(out["departement"]?.text == kept)
    }

    @Test func translatedBodiesValidateLikeLeadHubs() throws {
        let body: [String: JSONValue] = [
            "phone": "06 12 34 56 78", "civilite": "M.", "type_logement": "Maison", "statut_occupant": "Propriétaire",
            "code_postal": "20090", "departement": "20", "superficie_logement": "120m²", "nom": "Martin",
        ]
        let lead = try LeadSubmission.validate(V1Compat.leadBody(body, formCode: "PV-001")).get()
        #expect(lead.civilite == "M")
        #expect(lead.typeLogement == "maison")
        #expect(lead.statutOccupant == "proprietaire")
        #expect(lead.departement == "2A")
        #expect(lead.surfaceHabitable == 120)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}
