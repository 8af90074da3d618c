import Foundation

/// A lead as validated and normalized from a submission: every field checked at once, in French.
public struct ValidatedLead: Equatable, Sendable {
    public var phone: FrenchPhone
    public var civilite: String?
    public var nom: String?
    public var prenom: String?
    public var email: String?
    public var codePostal: String?
    public var departement: String?
    public var ville: String?
    public var adresse: String?
    public var typeLogement: String?
    public var statutOccupant: String?
    public var surfaceHabitable: Int?
    public var chauffageActuel: String?
    public var factureElectricite: String?
    public var attribution: [String: String]
    public var consent: Consent
    public var extra: [String: JSONValue]
    /// The form and LP codes named in the body (`form_code`, `lp_code`).
    public var formCode: String?
    public var lpCode: String?
    /// The hidden field a person never fills (`honeypot`): filled, the lead is a robot's.
    public var honeypot: String?
    /// What the page measured from the first interaction with the form to its submission.
    public var formElapsedMs: Int?

    /// What the person agreed to: the wording shown, the partner list's version, the page.
    public struct Consent: Equatable, Sendable {
        public var phone: Bool
        public var email: Bool
        public var text: String?
        public var url: String?
        public var partnersVersion: String?
    }
}

/// A submission read field by field, errors and all: what intake keeps when the organization
/// keeps every lead (see `LeadSubmission.inspect`).
public struct LeadInspection: Equatable, Sendable {
    /// The fields that validated; a field in error is left empty, except the phone, kept as typed
    /// when it cannot be read (`phoneReadable` false).
    public var lead: ValidatedLead
    public var errors: FieldErrors
    public var phoneReadable: Bool
    /// The phone as typed (trimmed), even when it cannot be read.
    public var rawPhone: String?

    public var isValid: Bool { errors.isEmpty && phoneReadable }

    /// Something to reach the person with: a phone, even malformed, or an e-mail address.
    public var hasContact: Bool { !(rawPhone ?? "").isEmpty || lead.email != nil }

    /// What the lead is when kept with errors: `invalid` when a phone was typed that cannot be
    /// read, `incomplete` otherwise (a required field missing or another field in error).
    public var keptStatus: LeadStatus? {
        if isValid { return nil }
        return !phoneReadable && !(rawPhone ?? "").isEmpty ? .invalid : .incomplete
    }
}

/// Validation of `POST /api/v1/leads` bodies.
public enum LeadSubmission {
    public static let attributionFields = [
        "session_id", "visitor_id", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "gclid",
        "fbclid", "referrer", "page_url",
    ]
    static let knownFields: Set<String> =
        Set(LeadField.allCases.map(\.rawValue)).union(attributionFields).union([
            "form_code", "lp_code", "consent", "honeypot", "form_elapsed_ms",
        ])
    public static let maxExtraFields = 30
    public static let maxExtraKeyLength = 64
    public static let maxExtraValueLength = 1_000

    /// Checks and normalizes a body. `required` are the lead fields the product type requires;
    /// `metropolitanOnly` refuses overseas départements.
    public static func validate(
        _ body: [String: JSONValue], required: [LeadField] = [.phone], metropolitanOnly: Bool = false
    ) -> Result<ValidatedLead, FieldErrors> {
        let inspection = inspect(body, required: required, metropolitanOnly: metropolitanOnly)
        return inspection.isValid ? .success(inspection.lead) : .failure(inspection.errors)
    }

    /// Reads every field and says what is wrong, without refusing: the fields that validated,
    /// the errors (in French, per field) and whether the phone could be read.
    public static func inspect(
        _ body: [String: JSONValue], required: [LeadField] = [.phone], metropolitanOnly: Bool = false
    ) -> LeadInspection {
        var errors = FieldErrors()
        func text(_ key: String, max: Int) -> String? {
            guard let value = body[key] else { return nil }
            if case .null = value { return nil }
            guard let raw = value.text else {
                errors.add(key, "Valeur invalide : texte attendu.")
                return nil
            }
            let trimmed = raw.trimmedText
            if trimmed.isEmpty { return nil }
            if trimmed.isLonger(than: max) {
                errors.add(key, "Ce champ ne doit pas dépasser \(max) caractères.")
                return nil
            }
            return trimmed
        }

        var phone: FrenchPhone? = nil
        let rawPhone = text("phone", max: 40)
        switch FrenchPhone.parse(rawPhone ?? "") {
        case .success(let parsed): phone = parsed
        case .failure(let problem): if errors.first("phone") == nil { errors.add("phone", problem.message) }
        }

        let civilite = text("civilite", max: 20).flatMap { raw -> String? in
            let folded = raw.lowercased().replacingIfPresent(".", with: "")
            if ["m", "mr", "monsieur"].contains(folded) { return "M" }
            if ["mme", "madame", "mlle", "mademoiselle"].contains(folded) { return "Mme" }
            errors.add("civilite", "Civilité invalide : « M » ou « Mme ».")
            return nil
        }
        let nom = text("nom", max: 100)
        let prenom = text("prenom", max: 100)
        let email = text("email", max: 254).flatMap { raw -> String? in
            guard let normalized = EmailAddress.normalize(raw) else {
                errors.add("email", "Adresse e-mail invalide.")
                return nil
            }
            return normalized
        }

        let codePostal = text("code_postal", max: 10).map { $0.replacingIfPresent(" ", with: "") }
        var departement: String? = nil
        if let codePostal {
            if codePostal.count != 5 || !codePostal.allSatisfy({ $0.isASCII && $0.isNumber }) {
                errors.add("code_postal", "Code postal invalide : 5 chiffres (ex. 75008).")
            } else if let fromCode = Departement.from(postalCode: codePostal) {
                departement = fromCode
            } else {
                errors.add("code_postal", "Code postal inconnu ou hors de la zone desservie.")
            }
        }
        if let given = text("departement", max: 3)?.uppercased() {
            let normalized = given.count == 1 ? "0" + given : given
            if !Departement.isValid(normalized) {
                errors.add("departement", "Département inconnu (ex. 75, 2A, 974).")
            } else if let departement, departement != normalized {
                errors.add(
                    "departement", "Le département \(normalized) ne correspond pas au code postal \(codePostal!).")
            } else {
                departement = normalized
            }
        }
        if metropolitanOnly, let departement, !Departement.isMetropolitan(departement) {
            errors.add(
                codePostal != nil ? "code_postal" : "departement",
                "Ce formulaire n'accepte que la France métropolitaine.")
        }

        let ville = text("ville", max: 100)
        let adresse = text("adresse", max: 200)
        let typeLogement = text("type_logement", max: 30).flatMap { raw -> String? in
            let folded = fold(raw)
            if folded.hasPrefix("maison") { return "maison" }
            if folded.hasPrefix("appartement") || folded == "appart" { return "appartement" }
            errors.add("type_logement", "Type de logement invalide : « maison » ou « appartement ».")
            return nil
        }
        let statutOccupant = text("statut_occupant", max: 30).flatMap { raw -> String? in
            let folded = fold(raw)
            if folded.hasPrefix("proprietaire") { return "proprietaire" }
            if folded.hasPrefix("locataire") { return "locataire" }
            errors.add("statut_occupant", "Statut invalide : « propriétaire » ou « locataire ».")
            return nil
        }
        let surface = text("surface_habitable", max: 10).flatMap { raw -> Int? in
            let cleaned = raw.lowercased().replacingOccurrences(of: "m2", with: "").replacingOccurrences(
                of: "m²", with: ""
            )
            .replacingOccurrences(of: ",", with: ".").trimmingCharacters(in: .whitespaces)
            guard let value = Double(cleaned), value >= 9, value <= 2_000 else {
                errors.add("surface_habitable", "Surface invalide : un nombre de m² entre 9 et 2 000.")
                return nil
            }
            return Int(value.rounded())
        }
        let chauffage = text("chauffage_actuel", max: 100)
        let facture = text("facture_electricite", max: 50)

        var attribution: [String: String] = [:]
        for key in attributionFields {
            let max = key == "page_url" || key == "referrer" ? 2_000 : 500
            if let value = text(key, max: max) { attribution[key] = value }
        }
        let formCode = text("form_code", max: 40)
        let lpCode = text("lp_code", max: 40)

        var consent = ValidatedLead.Consent(phone: false, email: false, text: nil, url: nil, partnersVersion: nil)
        switch body["consent"] {
        case .object(let fields):
            consent.phone = fields["phone"]?.bool ?? false
            consent.email = fields["email"]?.bool ?? false
            consent.text = fields["text"]?.text.map { String($0.trimmedText.prefix(5_000)) }.flatMap {
                $0.isEmpty ? nil : $0
            }
            consent.url = fields["url"]?.text.map { String($0.prefix(2_000)) }
            consent.partnersVersion = fields["partners_version"]?.text.map { String($0.trimmedText.prefix(100)) }
                .flatMap { $0.isEmpty ? nil : $0 }
        case .none, .null: break
        default: errors.add("consent", "Consentement invalide : objet {phone, email, text, url} attendu.")
        }

        var extra: [String: JSONValue] = [:]
        for (key, value) in body where !knownFields.contains(key) {
            guard extra.count < maxExtraFields else {
                errors.add(key, "Trop de champs supplémentaires (\(maxExtraFields) au plus).")
                continue
            }
            guard key.count <= maxExtraKeyLength,
                key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
            else {
                errors.add(key, "Nom de champ invalide : lettres, chiffres, - et _ (\(maxExtraKeyLength) au plus).")
                continue
            }
            switch value {
            case .string(let string) where string.count > maxExtraValueLength:
                errors.add(key, "Valeur trop longue (\(maxExtraValueLength) caractères au plus).")
            case .string, .number, .bool, .null: extra[key] = value
            default: errors.add(key, "Valeur invalide : texte, nombre ou booléen attendu.")
            }
        }

        let values: [LeadField: Bool] = [
            .phone: phone != nil, .civilite: civilite != nil, .nom: nom != nil, .prenom: prenom != nil,
            .email: email != nil, .codePostal: codePostal != nil, .departement: departement != nil,
            .ville: ville != nil, .adresse: adresse != nil, .typeLogement: typeLogement != nil,
            .statutOccupant: statutOccupant != nil, .surfaceHabitable: surface != nil,
            .chauffageActuel: chauffage != nil, .factureElectricite: facture != nil,
        ]
        for field in required where values[field] == false && errors.first(field.rawValue) == nil {
            errors.add(field.rawValue, "Ce champ est obligatoire pour ce produit.")
        }

        let honeypot = body["honeypot"]?.text.map { String($0.prefix(200)) }
        var elapsed: Int? = nil
        if let raw = body["form_elapsed_ms"], let value = raw.text.flatMap({ Double($0.trimmedText) }),
            value.isFinite, value >= 0, value < 86_400_000
        {
            elapsed = Int(value)
        }
        var lead = ValidatedLead(
            phone: phone ?? FrenchPhone(unreadable: rawPhone ?? ""), civilite: civilite, nom: nom, prenom: prenom,
            email: email, codePostal: codePostal,
            departement: departement, ville: ville, adresse: adresse, typeLogement: typeLogement,
            statutOccupant: statutOccupant, surfaceHabitable: surface, chauffageActuel: chauffage,
            factureElectricite: facture, attribution: attribution, consent: consent, extra: extra,
            formCode: formCode, lpCode: lpCode)
        lead.honeypot = honeypot
        lead.formElapsedMs = elapsed
        return LeadInspection(lead: lead, errors: errors, phoneReadable: phone != nil, rawPhone: rawPhone)
    }

    /// Lowercase without French accents ("Propriétaire" → "proprietaire"). Hand-written: ICU
    /// folding with a locale costs more than the rest of the validation on Linux.
    public static func fold(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.lowercased().unicodeScalars {
            switch scalar {
            case "à", "â", "ä", "á", "ã": out.append("a")
            case "é", "è", "ê", "ë": out.append("e")
            case "î", "ï", "í": out.append("i")
            case "ô", "ö", "ó", "õ": out.append("o")
            case "ù", "û", "ü", "ú": out.append("u")
            case "ç": out.append("c")
            case "ÿ": out.append("y")
            case "œ": out.append("oe")
            case "æ": out.append("ae")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
