import Foundation
import Testing

@testable import LeadHubCore

@Suite struct BriefTests {
    static let lp = BriefInput.LandingPageInfo(
        code: "LP-007", name: "Solaire Sud", url: "https://solaire-sud.fr/lp", sourceName: "Taboola",
        linkedFormCode: "PV-003", linkedFormURL: "https://solaire-sud.fr/formulaire")
    static let form = BriefInput.FormInfo(
        code: "PV-003", name: "Devis solaire", url: "https://solaire-sud.fr/formulaire", formKey: "lhf_KEY123",
        productCode: "PV", productLabel: "Panneaux solaires",
        requiredFields: [.phone, .nom, .codePostal, .typeLogement],
        thankYouURL: "https://solaire-sud.fr/merci", metropolitanOnly: true, allowedOrigins: ["https://solaire-sud.fr"])
    static let codes = BriefInput.AccountCodes(
        accountName: "Solaire Sud", head: "<script>/* head pixel */</script>", cta: "dataLayer.push({event:'cta'})",
        conversion: "<img src=\"https://pixel.example/conv\">")

    func input(
        lp: BriefInput.LandingPageInfo? = BriefTests.lp, form: BriefInput.FormInfo? = BriefTests.form,
        mode: BriefInput.Mode = .separate, codes: BriefInput.AccountCodes? = BriefTests.codes
    ) -> BriefInput {
        BriefInput(
            hubURL: "https://hub.example/", trackingId: "solaire-org", scriptVersion: "abc1234567", landingPage: lp,
            form: form, mode: mode, landingPageAccount: lp == nil ? nil : codes, formAccount: form == nil ? nil : codes,
            generatedAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    func code(_ document: BriefDocument, _ id: String) -> String? {
        document.codeBlocks.first { $0.id == id }?.text
    }

    @Test func separateModeGivesEachPageItsOwnTagAndTheCTALeadsToTheForm() throws {
        let brief = try Brief.build(input())
        #expect(brief.title == "Brief d'intégration — LP-007 + PV-003")
        #expect(
            code(brief, "tag-script-lp")
                == #"<script src="https://hub.example/t.js?v=abc1234567" data-org="solaire-org" data-lp="LP-007" async></script>"#
        )
        #expect(
            code(brief, "tag-script-form")
                == #"<script src="https://hub.example/t.js?v=abc1234567" data-org="solaire-org" data-form="PV-003" data-form-key="lhf_KEY123" async></script>"#
        )
        #expect(
            code(brief, "tag-cta")
                == #"<a href="https://solaire-sud.fr/formulaire" data-leadhub-cta>Je fais ma demande</a>"#)
        #expect(code(brief, "tag-script") == nil)
        let markdown = BriefMarkdown.render(brief)
        #expect(markdown.contains("https://hub.example/r/LP-007?org=solaire-org"))
        #expect(markdown.contains("https://hub.example/go/PV-003?org=solaire-org"))
        #expect(markdown.contains("https://solaire-sud.fr/merci"))
        // The form is wired with its product's required fields and sends through LeadHub.submit.
        let form = try #require(code(brief, "tag-form"))
        for field in ["phone", "nom", "code_postal", "type_logement"] { #expect(form.contains("name=\"\(field)\"")) }
        #expect(!form.contains("name=\"email\""))
        let submit = try #require(code(brief, "tag-submit"))
        #expect(submit.contains("LeadHub.submit(lead)"))
        #expect(submit.contains("Token lhf_KEY123"))
        #expect(submit.contains("location.href = \"https://solaire-sud.fr/merci\""))
        #expect(brief.section("a-completer") == nil)
        let checklist = BriefMarkdown.render(
            BriefDocument(title: "", summary: [], sections: [try #require(brief.section("checklist"))]))
        #expect(checklist.contains("- [ ] Chaque bouton d'action porte `data-leadhub-cta`"))
        #expect(checklist.contains("`data-form=\"PV-003\"`"))
    }

    @Test func integratedModeUsesOneTagWithBothCodesAndAnAnchorCTA() throws {
        let brief = try Brief.build(input(mode: .integrated))
        #expect(
            code(brief, "tag-script")
                == #"<script src="https://hub.example/t.js?v=abc1234567" data-org="solaire-org" data-lp="LP-007" data-form="PV-003" data-form-key="lhf_KEY123" async></script>"#
        )
        #expect(code(brief, "tag-script-lp") == nil)
        #expect(code(brief, "tag-script-form") == nil)
        #expect(code(brief, "tag-cta") == ##"<a href="#leadhub-form" data-leadhub-cta>Je fais ma demande</a>"##)
        #expect(code(brief, "tag-form")?.hasPrefix("<form id=\"leadhub-form\"") == true)
        let markdown = BriefMarkdown.render(brief)
        #expect(!markdown.contains("/r/LP-007"))
        #expect(markdown.contains("Mode : Formulaire intégré à la landing page"))
        // The form lives at the LP's address.
        #expect(markdown.contains("| Formulaire PV-003 (dans la landing page) | https://solaire-sud.fr/lp |"))
    }

    @Test func integratedModeNeedsBothALandingPageAndAForm() {
        #expect(throws: Brief.Problem.integratedNeedsPair) { try Brief.build(input(form: nil, mode: .integrated)) }
        #expect(throws: Brief.Problem.integratedNeedsPair) { try Brief.build(input(lp: nil, mode: .integrated)) }
    }

    @Test func aFormAloneHasItsTagAdLinkAndAPIReferenceButNoLandingPageTag() throws {
        let brief = try Brief.build(input(lp: nil))
        #expect(brief.title == "Brief d'intégration — formulaire PV-003")
        #expect(code(brief, "tag-script-form")?.contains("data-form=\"PV-003\"") == true)
        #expect(code(brief, "tag-script-lp") == nil)
        #expect(code(brief, "tag-cta") == nil)
        #expect(code(brief, "gtm-cta") == nil)
        #expect(code(brief, "gtm-conversion") == Self.codes.conversion)
        let api = try #require(brief.section("api"))
        guard
            case .table(_, let rows)? = api.blocks.first(where: {
                if case .table(let h, _) = $0 { h.count == 4 } else { false }
            })
        else {
            Issue.record("no field table"); return
        }
        let required = Dictionary(uniqueKeysWithValues: rows.map { ($0[0], $0[2]) })
        #expect(required["`code_postal`"] == "oui")
        #expect(required["`type_logement`"] == "oui")
        #expect(required["`email`"] == "non")
        #expect(rows.first { $0[0] == "`code_postal`" }?[3].contains("France métropolitaine") == true)
        let curl = try #require(code(brief, "api-curl"))
        #expect(curl.contains("-H \"Authorization: Token lhf_KEY123\""))
        #expect(curl.contains("\"type_logement\": \"maison\""))
        #expect(!curl.contains("'J'"))  // the shell quoting survives the consent text
        #expect(code(brief, "api-browser")?.contains("fetch(\"https://hub.example/api/v1/leads\"") == true)
    }

    @Test func aLandingPageWithoutFormSaysWhatIsMissing() throws {
        var page = Self.lp
        page.linkedFormCode = nil
        page.linkedFormURL = nil
        page.url = nil
        let brief = try Brief.build(input(lp: page, form: nil))
        let warnings = try #require(brief.section("a-completer")).blocks
        #expect(warnings.contains(.warning("La landing page LP-007 n'a pas d'adresse : renseignez-la sur sa fiche.")))
        #expect(
            warnings.contains {
                if case .warning(let text) = $0 { text.contains("Aucun formulaire n'est lié") } else { false }
            })
        #expect(code(brief, "tag-cta")?.contains("ADRESSE_DU_FORMULAIRE") == true)
        #expect(brief.section("api") == nil)
        #expect(brief.sections.first?.id == "a-completer")
    }

    @Test func aPairWhoseLandingPageLeadsElsewhereIsFlagged() throws {
        var page = Self.lp
        page.linkedFormCode = "PV-009"
        let brief = try Brief.build(input(lp: page))
        let warnings = try #require(brief.section("a-completer")).blocks
        #expect(
            warnings.contains {
                if case .warning(let text) = $0 {
                    text.contains("liée au formulaire PV-009, pas à PV-003")
                } else {
                    false
                }
            })
    }

    @Test func missingGTMCodesAreSaidNotInvented() throws {
        let brief = try Brief.build(input(codes: .init(accountName: "Sans GTM", head: nil, cta: "", conversion: nil)))
        #expect(code(brief, "gtm-head") == nil)
        #expect(code(brief, "gtm-cta") == nil)
        #expect(code(brief, "gtm-conversion") == nil)
        let markdown = BriefMarkdown.render(brief)
        #expect(markdown.contains("Le compte Sans GTM n'a pas de code d'en-tête"))
        #expect(markdown.contains("Le compte Sans GTM n'a pas de code CTA."))
        #expect(markdown.contains("Le compte Sans GTM n'a pas de code de conversion."))
    }

    @Test func everyStatisticOfTheDashboardIsExplained() throws {
        let brief = try Brief.build(input())
        let markdown = BriefMarkdown.render(
            BriefDocument(title: "", summary: [], sections: [try #require(brief.section("statistiques"))]))
        for name in ["Visites", "Clics CTA", "Démarrages de formulaire", "Leads", "Doublons", "Livrés", "Taux"] {
            #expect(markdown.contains("| \(name) |"), "\(name) is not explained")
        }
        #expect(markdown.contains("Europe/Paris"))
    }

    @Test func markdownKeepsCodeFencedAndTablesIntact() {
        let document = BriefDocument(
            title: "T", summary: ["ligne"],
            sections: [
                BriefSection(
                    id: "s", title: "S",
                    blocks: [
                        .table(header: ["a", "b"], rows: [["x | y", "z\nw"]]),
                        .code(id: "c", language: "md", caption: "Code :", text: "```\ninside\n```"),
                        .checklist(["un"]),
                    ])
            ])
        let markdown = BriefMarkdown.render(document)
        #expect(markdown.contains("| x \\| y | z w |"))
        #expect(markdown.contains("~~~~md\n```\ninside\n```\n~~~~"))
        #expect(markdown.contains("- [ ] un"))
    }

    @Test func htmlEscapesEverythingAndOnlyThePageHasCopyButtons() throws {
        let brief = try Brief.build(input())
        let page = BriefHTML.fragment(brief, copyButtons: true)
        #expect(
            page.contains(
                ##"<button type="button" class="button small secondary" data-copy="#tag-script-lp">Copier</button>"##))
        #expect(
            page.contains(
                #"<pre id="tag-script-lp" data-language="html"><code>&lt;script src=&quot;https://hub.example/t.js?v=abc1234567&quot;"#
            ))
        #expect(!page.contains("<script"))
        let file = BriefHTML.standalone(brief)
        #expect(file.hasPrefix("<!doctype html>\n<html lang=\"fr\">"))
        #expect(!file.contains("data-copy"))
        #expect(!file.contains("<script"))
        #expect(!file.contains("<link"))
        #expect(file.contains("@media print"))
        #expect(BriefHTML.inline("a `b<c>` d `e") == "a <code>b&lt;c&gt;</code> d `e")
    }

    @Test func theIntegrationCheckNamesWhatIsMissingInOrder() {
        func missing(
            _ counts: IntegrationCheck.Counts, lp: String? = "LP-1", form: String? = "PV-1", integrated: Bool = false,
            leads: [IntegrationCheck.RecentLead] = [], expectsLP: Bool = true
        ) -> [String] {
            IntegrationCheck.missing(
                lpCode: lp, formCode: form, integrated: integrated, counts: counts, recentLeads: leads,
                expectsLandingPage: expectsLP, days: 7)
        }
        let nothing = missing(.init(visits: 0, ctaClicks: 0, formStarts: 0, leads: 0))
        #expect(nothing.count == 2)
        #expect(nothing[0].hasPrefix("Aucune visite (`lp_visit`) reçue sur 7 jours pour LP-1"))
        #expect(nothing[1].hasPrefix("Aucun démarrage de formulaire"))
        #expect(
            missing(.init(visits: 5, ctaClicks: 0, formStarts: 0, leads: 0))[0].hasPrefix(
                "Des visites mais aucun clic CTA"))
        #expect(
            missing(.init(visits: 5, ctaClicks: 2, formStarts: 0, leads: 0)) == [
                "Des clics CTA mais aucun démarrage de formulaire (`form_start`) sur 7 jours : le script n'est pas sur le formulaire PV-1, ou `data-form` est faux."
            ])
        #expect(
            missing(.init(visits: 5, ctaClicks: 2, formStarts: 2, leads: 0))[0].hasPrefix(
                "Des démarrages de formulaire mais aucun lead"))
        let leads = [
            IntegrationCheck.RecentLead(hasLandingPage: false, hasSession: false),
            .init(hasLandingPage: true, hasSession: true),
        ]
        let attribution = missing(.init(visits: 5, ctaClicks: 2, formStarts: 2, leads: 2), leads: leads)
        #expect(
            attribution == [
                "1 des 2 derniers leads sont arrivés sans session : envoyés sans le script de suivi (`LeadHub.submit`), ils ne sont pas reliés à une visite.",
                "1 des 2 derniers leads n'ont pas de landing page : `lp_code` n'est pas transmis (paramètre `lp` perdu entre la landing page et le formulaire, ou `data-lp` absent).",
            ])
        // A form no landing page leads to: leads without LP are normal.
        #expect(
            missing(
                .init(visits: 0, ctaClicks: 0, formStarts: 3, leads: 2), lp: nil,
                leads: [.init(hasLandingPage: false, hasSession: true)], expectsLP: false
            ).isEmpty)
        #expect(
            missing(
                .init(visits: 9, ctaClicks: 4, formStarts: 3, leads: 2),
                leads: [.init(hasLandingPage: true, hasSession: true)]
            ).isEmpty)
    }

    @Test func theAccountsIdentityProductAndLegalTextsAreHandedOver() throws {
        var brief = input()
        brief.identity = BriefInput.Identity(
            accountName: "Solaire Sud", domain: "solaire-sud.fr",
            logos: [.init("Logo principal", "https://cdn.example/logo.svg")], primaryColor: "#F5A623",
            images: [.init("bannière", "https://cdn.example/banniere.jpg")],
            privacyPolicy: "Vos données servent à vous recontacter.", legalMentions: nil, cgu: "En envoyant…",
            productLabel: "PV — Panneaux solaires", aidAmountText: "Jusqu'à 2 520 € de prime",
            aids: ["Prime", "TVA réduite"])
        let document = try Brief.build(brief)
        #expect(
            document.sections.map(\.id) == [
                "a-completer", "adresses", "identite", "balises", "api", "statistiques", "checklist",
            ])
        let markdown = BriefMarkdown.render(document)
        #expect(markdown.contains("| Logo principal | `https://cdn.example/logo.svg` |"))
        #expect(markdown.contains("| Couleur principale | `#F5A623` |"))
        #expect(markdown.contains("| Image « bannière » | `https://cdn.example/banniere.jpg` |"))
        #expect(markdown.contains("- Accroche des aides : « Jusqu'à 2 520 € de prime »"))
        #expect(code(document, "legal-privacy") == "Vos données servent à vous recontacter.")
        #expect(code(document, "legal-cgu") == "En envoyant…")
        #expect(markdown.contains("Mentions légales : non renseignées sur la fiche du compte."))
        let warnings = try #require(document.section("a-completer")).blocks
        #expect(
            warnings.contains(
                .warning(
                    "Le compte Solaire Sud n'a pas de mentions légales : obligatoires sur une page qui collecte des données, renseignez-les sur la fiche du compte."
                )))
        // Without identity (nothing known of the account), no section and no warning.
        #expect(try Brief.build(input()).section("identite") == nil)
    }
}
