import Foundation
import Testing

@testable import LeadHubCore

@Suite struct FirstVersionTests {
    @Test(
        arguments: [
            ("LP-001_PV-001", "PV-001", "LP-001"),
            ("lp-tab-v1_PV-TAB-001", "PV-TAB-001", "LP-TAB-V1"),
            ("LP-XXX_PV-001", "PV-001", nil),
            ("LP-001_PV-001", nil, "LP-001"),
            ("LP_A_B_PAC-002", "PAC-002", "LP-A-B"),
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

    @Test(
        arguments: [
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

@Suite struct FirstVersionImportRulesTests {
    @Test(
        arguments: [
            ("panneaux", "PV"), ("Solaire", "PV"), ("PV", "PV"), ("pompes", "PAC"), ("pac", "PAC"),
            ("Pompe à chaleur", "PAC"), ("isolation", "ITE"), ("ITE", "ITE"), ("chaudière", nil), ("", nil),
        ] as [(String, String?)])
    func productsBecomeLeadHubCodes(raw: String, expected: String?) {
        #expect(V1Mapping.product(raw) == expected)
    }

    @Test(
        arguments: [
            ("success", LeadStatus.delivered, DeliveryStatus.delivered),
            ("duplicate", .crmDuplicate, .duplicate),
            ("duplicate_today", .duplicate, .notSent),
            ("queued", .received, .retrying),
            ("pending", .received, .retrying),
            ("timeout", .received, .retrying),
            ("connection_error", .received, .retrying),
            ("server_error", .received, .retrying),
            ("failed", .failed, .refused),
            ("no_config", .notSent, .notSent),
            ("no_crm", .notSent, .notSent),
            ("mystère", .notSent, .notSent),
        ] as [(String, LeadStatus, DeliveryStatus)])
    func leadStatusesBecomeLeadAndDeliveryStates(raw: String, lead: LeadStatus, delivery: DeliveryStatus) {
        let state = V1Mapping.leadState(apiStatus: raw)
        #expect(state.lead == lead && state.delivery == delivery)
        #expect(state.unknown == (raw == "mystère"))
    }

    @Test func anExhaustedQueueEntryWinsOverTheLeadsStatus() {
        #expect(
            V1Mapping.leadState(apiStatus: "queued", queueStatus: "exhausted")
                == .init(lead: .failed, delivery: .exhausted, unknown: false))
    }

    @Test func commandesBecomeOrdersAndZeroLimitsMeanUnlimited() {
        let (orders, dropped) = V1Mapping.orders(
            .object([
                "PAC": .array(["75", "92", "75"]), "panneaux": .array(["13", "2a", "1", "99x"]),
                "chaudiere": .array([]),
            ]))
        #expect(orders["PAC"] == Order(active: true, departements: ["75", "92"]))
        #expect(orders["PV"] == Order(active: true, departements: ["13", "2A", "01"]))
        #expect(dropped == ["chaudiere", "PV:99X"])
        #expect(
            V1Mapping.limits(.object(["PV": .number(0), "PAC": .number(100), "ITE": "50"])) == ["PAC": 100, "ITE": 50])
        #expect(V1Mapping.prices(.object(["solaire": .number(20.5), "pompes": "25"])) == ["PV": 20.5, "PAC": 25])
    }

    @Test(
        arguments: [
            ("admin", Role.admin, false), ("editor", .editor, false), ("viewer", .viewer, false),
            ("superviseur", .viewer, true),
        ] as [(String, Role, Bool)])
    func rolesKeepTheirRightsOrTheLeast(raw: String, role: Role, changed: Bool) {
        #expect(V1Mapping.role(raw) == (role, changed))
    }

    @Test(
        arguments: [
            ("LP-001", "LP-001"), ("lp_tab v1", "LP-TAB-V1"), ("PV-été-2026", "PV-ETE-2026"), ("  pac--02 ", "PAC-02"),
            ("_", nil), ("", nil),
        ] as [(String, String?)])
    func codesBecomeValidPageCodes(raw: String, expected: String?) {
        #expect(V1Mapping.code(raw) == expected)
    }

    @Test(
        arguments: [
            ("2026-08-14T08:30:00.123456+00:00", 1_786_696_200.123456),
            ("2026-08-14T08:30:00Z", 1_786_696_200),
            ("2026-08-14T10:30:00+02:00", 1_786_696_200),
            ("2026-08-14T08:30:00", 1_786_696_200),
            ("2026-08-14 08:30:00", 1_786_696_200),
            ("2026-08-14", 1_786_665_600),
            ("2024-02-29T00:00:00Z", 1_709_164_800),
        ] as [(String, Double)])
    func datesAsTheFirstVersionWroteThem(text: String, expected: Double) throws {
        let date = try #require(ISODate.parse(text))
        #expect(abs(date.timeIntervalSince1970 - expected) < 0.001)
    }

    @Test(arguments: ["2026-02-30", "2026-13-01", "demain", "2026-08-14T25:00:00Z", "2026-08-14T08:30:00+0"])
    func unreadableDatesAreNil(text: String) {
        #expect(ISODate.parse(text) == nil)
    }

    @Test func extendedJSONBecomesPlainValues() throws {
        let text = """
            [{"_id": {"$oid": "65a000000000000000000001"}, "created_at": {"$date": "2026-01-15T10:00:00Z"},
              "n": {"$numberLong": "42"}, "when": {"$date": {"$numberLong": "1767225600000"}},
              "nested": [{"x": {"$numberDouble": "1.5"}}]},
             {"id": "b"}]
            """
        let documents = try MongoExport.documents(Data(text.utf8))
        #expect(documents.count == 2)
        let first = try documents[0].get()
        #expect(first["_id"] == "65a000000000000000000001")
        #expect(first["created_at"] == "2026-01-15T10:00:00Z")
        #expect(first["n"] == .number(42))
        #expect(ISODate.parse(first["when"]) == Date(timeIntervalSince1970: 1_767_225_600))
        #expect(first["nested"] == .array([.object(["x": .number(1.5)])]))
    }

    @Test func jsonLinesAreReadAndABrokenLineIsReportedAlone() throws {
        let text = "{\"id\": \"a\", \"note\": \"ligne } avec \\\" accolade\"}\nnot json\n{\"id\": \"c\"}\n[1, 2]\n"
        let documents = try MongoExport.documents(Data(text.utf8))
        #expect(documents.count == 4)
        #expect(try documents[0].get()["note"] == "ligne } avec \" accolade")
        #expect(throws: MongoExport.BadDocument.self) { try documents[1].get() }
        #expect(try documents[2].get()["id"] == "c")
        #expect(throws: MongoExport.BadDocument.self) { try documents[3].get() }
    }
}

/// The first version's billing rule (« le CRM cible facture au CRM origine ») and its per-CRM statement.
@Suite struct FirstVersionBillingTests {
    let zr7 = UUID(uuidString: "00000000-0000-0000-0000-0000000000A1")!
    let mdl = UUID(uuidString: "00000000-0000-0000-0000-0000000000B2")!

    @Test func theReceivingCrmInvoicesTheOriginAtItsOwnPrice() {
        let counts = [
            // ZR7's accounts: 10 kept by ZR7, 3 PV rerouted to MDL at MDL's 22 €.
            BillingCount(
                originCrmId: zr7, receivingCrmId: zr7, productType: "PV", rerouted: false, unitPriceCents: 2_000,
                leads: 10),
            BillingCount(
                originCrmId: zr7, receivingCrmId: mdl, productType: "PV", rerouted: true, unitPriceCents: 2_200,
                leads: 3),
            // MDL's accounts: 1 PAC rerouted to ZR7 at ZR7's 25,50 €.
            BillingCount(
                originCrmId: mdl, receivingCrmId: zr7, productType: "PAC", rerouted: true, unitPriceCents: 2_550,
                leads: 1),
            BillingCount(
                originCrmId: mdl, receivingCrmId: mdl, productType: "PV", rerouted: false, unitPriceCents: 2_200,
                leads: 4),
        ]
        let matrix = CrmBillingSummary.matrix(counts)
        #expect(matrix.lines.count == 2)
        #expect(matrix.between(zr7, mdl).first?.amountCents == 6_600)  // MDL invoices ZR7
        #expect(matrix.between(mdl, zr7).first?.amountCents == 2_550)  // ZR7 invoices MDL

        let statements = CrmBillingSummary.statements(counts, crmIds: [zr7, mdl])
        let z = statements[0]
        let m = statements[1]
        #expect(z.originated == ["PV": 13, "PAC": 0].filter { $0.value > 0 })
        #expect(z.received == ["PV": 10, "PAC": 1])
        #expect(z.reroutedOut == ["PV": 3] && z.reroutedIn == ["PAC": 1])
        #expect(z.toInvoiceCents == 2_550 && z.toPayCents == 6_600 && z.netCents == -4_050)
        #expect(m.originatedTotal == 5 && m.receivedTotal == 7)
        #expect(m.toInvoiceCents == 6_600 && m.toPayCents == 2_550 && m.netCents == 4_050)
        #expect(statements.reduce(0) { $0 + $1.netCents } == 0)
    }

    @Test func aLeadReroutedToItsOwnOriginIsNotBilled() {
        let counts = [
            BillingCount(
                originCrmId: zr7, receivingCrmId: zr7, productType: "PV", rerouted: true, unitPriceCents: 2_000,
                leads: 2)
        ]
        #expect(CrmBillingSummary.matrix(counts).lines.isEmpty)
        #expect(CrmBillingSummary.statements(counts, crmIds: [zr7])[0].toInvoiceCents == 0)
    }
}
