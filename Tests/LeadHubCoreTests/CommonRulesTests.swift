import Foundation
import Testing

@testable import LeadHubCore

@Suite struct SlugTests {
    @Test(arguments: [
        ("Maison du Lead", "maison-du-lead"), ("ZR7 Digital", "zr7-digital"),
        ("Énergie & Habitat !", "energie-habitat"),
        ("  --Déjà--  ", "deja"), ("Ça coûte 1 000 €", "ca-coute-1-000"),
    ])
    func slugFromLabel(label: String, slug: String) {
        #expect(Slug.make(label) == slug)
    }

    @Test func validSlugs() {
        #expect(Slug.isValid("zr7"))
        #expect(!Slug.isValid("Zr7"))
        #expect(!Slug.isValid("a--b"))
        #expect(!Slug.isValid(""))
    }
}

@Suite struct EmailAddressTests {
    @Test(arguments: [
        ("Jean.Dupont@Exemple.FR", "jean.dupont@exemple.fr"), (" a@b.fr ", "a@b.fr"),
        ("a+tag@sous.domaine.fr", "a+tag@sous.domaine.fr"),
    ])
    func acceptsAndNormalizes(raw: String, expected: String) {
        #expect(EmailAddress.normalize(raw) == expected)
    }

    @Test(arguments: [
        "", "sans-arobase", "a@b", "a@@b.fr", "a b@c.fr", "@b.fr", "a@b.f", "a@.fr", ".a@b.fr", "a..b@c.fr",
    ])
    func rejects(raw: String) {
        #expect(EmailAddress.normalize(raw) == nil)
    }
}

@Suite struct CheckTests {
    @Test func requiredTextTrimsAndLimits() {
        var errors = FieldErrors()
        #expect(Check.requiredText("  Bonjour ", field: "name", errors: &errors) == "Bonjour")
        _ = Check.requiredText("   ", field: "empty", errors: &errors)
        _ = Check.requiredText(String(repeating: "x", count: 11), field: "long", max: 10, errors: &errors)
        #expect(errors.first("empty") == "Ce champ est obligatoire.")
        #expect(errors.first("long") == "Ce champ ne doit pas dépasser 10 caractères.")
        #expect(errors.first("name") == nil)
    }

    @Test(arguments: [("#AABBCC", "#aabbcc"), ("abc", "#abc"), ("#123456", "#123456")])
    func colorsAreNormalized(raw: String, expected: String) {
        var errors = FieldErrors()
        #expect(Check.optionalColor(raw, field: "c", errors: &errors) == expected)
        #expect(errors.isEmpty)
    }

    @Test(arguments: ["rouge", "#12345", "#GGHHII"])
    func badColorsAreRejected(raw: String) {
        var errors = FieldErrors()
        _ = Check.optionalColor(raw, field: "c", errors: &errors)
        #expect(!errors.isEmpty)
    }

    @Test(arguments: [
        ("https://a.fr/x?y=1", true), ("http://localhost:8080", true), ("ftp://a.fr", false), ("a.fr", false),
        ("https://", false),
    ])
    func httpURLs(raw: String, valid: Bool) {
        #expect(Check.isHTTPURL(raw) == valid)
    }

    @Test(arguments: [
        ("Solaire-Eco.FR", true), ("sous.domaine.fr", true), ("http://a.fr", false), ("a", false), ("-a.fr", false),
    ])
    func domains(raw: String, valid: Bool) {
        var errors = FieldErrors()
        _ = Check.optionalDomain(raw, field: "d", errors: &errors)
        #expect(errors.isEmpty == valid)
    }

    @Test func fieldErrorsMerge() {
        var a = FieldErrors(["phone": ["x"]])
        a.merge(FieldErrors(["phone": ["y"], "email": ["z"]]))
        #expect(a.messages == ["phone": ["x", "y"], "email": ["z"]])
        #expect(throws: FieldErrors.self) { try a.throwIfAny() }
    }
}

@Suite struct FrenchFormatTests {
    @Test(arguments: [
        (0, "0"), (999, "999"), (1_000, "1\u{202F}000"), (1_234_567, "1\u{202F}234\u{202F}567"),
        (-4_500, "-4\u{202F}500"),
    ])
    func integers(value: Int, text: String) {
        #expect(FrenchFormat.integer(value) == text)
    }

    @Test func euros() {
        #expect(FrenchFormat.euros(1234.5) == "1\u{202F}234,50\u{00A0}€")
        #expect(FrenchFormat.euros(0.1) == "0,10\u{00A0}€")
    }

    @Test func datesAreShownInParisTimeAcrossDaylightSaving() {
        // 2026-01-15 12:00 UTC is 13:00 in Paris (winter); 2026-07-15 12:00 UTC is 14:00 (summer).
        #expect(FrenchFormat.dateTime(Date(timeIntervalSince1970: 1_768_478_400)) == "15/01/2026 13:00")
        #expect(FrenchFormat.dateTime(Date(timeIntervalSince1970: 1_784_116_800)) == "15/07/2026 14:00")
    }

    @Test func pageWindowClampsAndLabels() {
        let window = PageWindow(page: 9, perPage: 25, total: 60)
        #expect(window.page == 3)
        #expect(window.offset == 50)
        #expect(window.rangeLabel == "51–60 sur 60")
        #expect(!window.hasNext)
        #expect(PageWindow(page: nil, total: 0).rangeLabel == "Aucun élément")
    }
}

@Suite struct TimeOrderedIDTests {
    @Test func laterIdsSortAfterEarlierOnes() {
        let first = TimeOrderedID.make(at: Date(timeIntervalSince1970: 1_800_000_000))
        let second = TimeOrderedID.make(at: Date(timeIntervalSince1970: 1_800_000_000.002))
        #expect(first.uuidString < second.uuidString)
        #expect(first.uuidString.dropFirst(14).first == "7")
    }
}

@Suite struct FastTextTests {
    @Test func uuidTextIsExactlyUUIDString() {
        for _ in 0..<1_000 {
            let id = UUID()
            #expect(id.text == id.uuidString)
        }
        let fixed = UUID(uuidString: "00000000-0000-0000-0000-00000000000F")!
        #expect(fixed.text == "00000000-0000-0000-0000-00000000000F")
    }

    @Test func lowercaseHexIsTheIdsDigitsWithoutHyphens() {
        for _ in 0..<1_000 {
            let id = UUID()
            let digits = id.uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            #expect(id.lowercaseHex() == digits)
            #expect(id.lowercaseHex(24) == String(digits.prefix(24)))
        }
        #expect(UUID(uuidString: "ABCDEF01-2345-6789-ABCD-EF0123456789")!.lowercaseHex(9) == "abcdef012")
    }

    @Test func trimmedTextMatchesFoundationsTrimming() {
        for value in [
            "LP-001", " LP-001", "LP-001\n", "\t a b \r\n", "", "   ", "\u{00A0}Éric\u{2003}", "Éric", "é", "a",
        ] {
            #expect(value.trimmedText == value.trimmingCharacters(in: .whitespacesAndNewlines), "« \(value) »")
        }
        #expect("ééé".isLonger(than: 3) == false)
        #expect("abcd".isLonger(than: 3))
    }
}

/// The byte-wise search that replaces Foundation's on the hot paths gives Foundation's answers.
@Suite struct ByteSearchTests {
    @Test(arguments: [
        ("06 12 34 56 78", " ", true), ("+33 (0)6 12", "(0)", true), ("0612345678", "(0)", false),
        ("jean..dupont", "..", true), ("jean.dupont", "..", false), ("qsdfghjklm", "dfgh", true),
        ("azertyuiop", "tyuz", false), ("", "a", false), ("abc", "", true), ("crème", "èm", true),
        ("aab", "ab", true), ("ab", "abc", false),
    ])
    func containsBytesAgreesWithFoundation(text: String, needle: String, expected: Bool) {
        #expect(text.containsBytes(needle) == expected)
        #expect(text[...].containsBytes(needle) == expected)
        if !needle.isEmpty { #expect(text.contains(needle) == expected) }
        #expect(
            text.replacingIfPresent(needle.isEmpty ? "§" : needle, with: "")
                == text.replacingOccurrences(of: needle.isEmpty ? "§" : needle, with: ""))
    }

    @Test func uuidTextIsUUIDString() {
        for _ in 0..<100 {
            let id = UUID()
            #expect(id.text == id.uuidString)
        }
    }
}
