import Foundation

/// A stored lead as the partners' formats need it.
public struct OutgoingLead: Sendable {
    public let id: UUID
    public let phoneE164: String
    public let receivedAt: Date
    public let productType: String
    public let formCode: String
    /// The lead's fields by their LeadHub names (nom, prenom, email, civilite, code_postal…),
    /// only those with a value.
    public let fields: [String: String]
    /// The extra fields sent with the lead.
    public let extra: [String: JSONValue]
    /// The consent record by `PartnerPayload.consentFields` names, those with a value.
    public let consent: [String: String]

    public init(
        id: UUID, phoneE164: String, receivedAt: Date, productType: String, formCode: String, fields: [String: String],
        extra: [String: JSONValue], consent: [String: String] = [:]
    ) {
        self.id = id
        self.phoneE164 = phoneE164
        self.receivedAt = receivedAt
        self.productType = productType
        self.formCode = formCode
        self.fields = fields
        self.extra = extra
        self.consent = consent
    }

    /// `0612345678`: ZR7 and MDL want the national form.
    public var nationalPhone: String {
        (try? FrenchPhone.parse(phoneE164).get())?.national ?? phoneE164
    }
}

/// The bodies LeadHub sends: the ZR7 / Maison du Lead format of `PRODUCT.md`, and a generic
/// webhook. A mapping renames lead fields for the partner ("" leaves a field out).
public enum PartnerPayload {
    /// Sent at the top level of the ZR7/MDL body, under these names.
    public static let zr7TopLevel = ["nom", "prenom", "email", "civilite"]
    /// The lead fields sent as ZR7/MDL `custom_fields`, under their own names unless mapped.
    public static let zr7CustomFields = [
        "departement", "code_postal", "ville", "adresse", "type_logement", "statut_occupant", "surface_habitable",
        "chauffage_actuel", "facture_electricite",
    ]
    /// The consent record (the proof of opt-in). Webhooks get it under these names; ZR7 / Maison du
    /// Lead only when the CRM's mapping names the field it expects (their APIs take no unknown field).
    public static let consentFields = [
        "consent_phone", "consent_email", "consent_text", "consent_text_hash", "consent_partners_version",
        "consent_url", "consent_at", "consent_ip", "consent_user_agent",
    ]
    /// Every field a mapping may rename.
    public static let mappableFields = ["phone"] + zr7TopLevel + zr7CustomFields + consentFields

    /// `{"phone": "0612345678", "register_date": 1764000000, "nom", "prenom", "email", "civilite",
    /// "custom_fields": {"departement": {"value": "75"}, …}}`.
    public static func zr7(_ lead: OutgoingLead, mapping: [String: String] = [:]) -> JSONValue {
        var body: [String: JSONValue] = [
            "phone": .string(lead.nationalPhone),
            "register_date": .number(lead.receivedAt.timeIntervalSince1970.rounded(.down)),
        ]
        for field in zr7TopLevel {
            if let value = lead.fields[field] { body[field] = .string(value) }
        }
        var custom: [String: JSONValue] = [:]
        for field in zr7CustomFields {
            let name = mapping[field] ?? field
            guard !name.isEmpty, let value = lead.fields[field] else { continue }
            custom[name] = .object(["value": .string(value)])
        }
        for field in consentFields {
            guard let name = mapping[field], !name.isEmpty, let value = lead.consent[field] else { continue }
            custom[name] = .object(["value": .string(value)])
        }
        custom[mapping["product_type"] ?? "product_type"] = .object(["value": .string(lead.productType)])
        body["custom_fields"] = .object(custom)
        return .object(body)
    }

    /// A flat JSON object: every field under its mapped name, plus the lead's id, product, form,
    /// time and extra fields.
    public static func webhook(_ lead: OutgoingLead, mapping: [String: String] = [:]) -> JSONValue {
        var body: [String: JSONValue] = [
            "lead_id": .string(lead.id.text.lowercased()),
            "product_type": .string(lead.productType),
            "form_code": .string(lead.formCode),
            "received_at": .string(ISO8601DateFormatter().string(from: lead.receivedAt)),
        ]
        var values = lead.fields.merging(lead.consent) { a, _ in a }
        values["phone"] = lead.phoneE164
        for (field, value) in values {
            let name = mapping[field] ?? field
            if !name.isEmpty { body[name] = .string(value) }
        }
        if !lead.extra.isEmpty { body["extra"] = .object(lead.extra) }
        return .object(body)
    }

    /// What the webhook signature covers: `<unix seconds>.<body>`; the header is
    /// `X-LeadHub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of that with the secret>`.
    public static func signedContent(timestamp: Int, body: String) -> String {
        "\(timestamp).\(body)"
    }
}
