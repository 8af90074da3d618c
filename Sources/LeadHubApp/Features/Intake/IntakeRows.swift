import FluentSQLiteDriver
import Foundation
import LeadHubCore
import SQLKit

/// One value of a row, typed once, written the way Fluent writes it on either database: through
/// SQLKit binds (PostgreSQL, and SQLite through SQLKit), or as raw SQLite values for the lead
/// writer's own connection (UUIDs as text, dates as seconds since 1970, booleans as 0/1).
enum ColumnValue: Sendable, Equatable {
    case text(String?)
    case uuid(UUID?)
    case integer(Int?)
    case bool(Bool)
    case date(Date?)

    var bind: any Encodable & Sendable {
        switch self {
        case .text(let value): value
        case .uuid(let value): value
        case .integer(let value): value
        case .bool(let value): value
        case .date(let value): value
        }
    }

    var sqlite: SQLiteData {
        switch self {
        case .text(let value): value.map { .text($0) } ?? .null
        case .uuid(let value): value.map { .text($0.text) } ?? .null
        case .integer(let value): value.map { .integer($0) } ?? .null
        case .bool(let value): .integer(value ? 1 : 0)
        case .date(let value): value.map { .float($0.timeIntervalSince1970) } ?? .null
        }
    }
}

/// The shape of a table's row as one list of (column, value) pairs: the column list, the SQLKit
/// binds and the raw SQLite values all come from it, so a column cannot be missing from one of
/// them or sit at another position.
struct RowShape<Input>: Sendable {
    struct Column: Sendable {
        let name: String
        let value: @Sendable (Input) -> ColumnValue
    }

    let table: String
    let columns: [Column]

    init(_ table: String, _ columns: [(String, @Sendable (Input) -> ColumnValue)]) {
        self.table = table
        self.columns = columns.map { Column(name: $0.0, value: $0.1) }
        precondition(Set(self.columns.map(\.name)).count == self.columns.count, "a column of \(table) is listed twice")
    }

    var names: [String] { columns.map(\.name) }

    func values(_ input: Input) -> [ColumnValue] { columns.map { $0.value(input) } }

    func binds(_ input: Input) -> [any SQLExpression] { columns.map { SQLBind($0.value(input).bind) } }

    func sqlite(_ input: Input) -> [SQLiteData] { columns.map { $0.value(input).sqlite } }

    /// `INSERT INTO "table" ("a","b",…) VALUES (?,?,…)` for the raw SQLite connection.
    var sqliteInsert: String {
        "INSERT INTO \"\(table)\" (" + names.map { "\"\($0)\"" }.joined(separator: ",") + ") VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
    }

    /// Inserts `inputs` through SQLKit, `chunk` rows per statement.
    func insert(_ inputs: [Input], chunk: Int = 200, on sql: any SQLDatabase) async throws {
        for part in inputs.chunked(chunk) where !part.isEmpty {
            var insert = sql.insert(into: table).columns(names)
            for input in part { insert = insert.values(binds(input)) }
            try await insert.run()
        }
    }
}

/// What a new lead's row is made of.
struct NewLeadRow: Sendable {
    let draft: LeadDraft
    let stored: StoredLead
    let routed: LeadWriter.RoutedLead?
}

/// What a remembered idempotency key's row is made of.
struct IdempotencyRow: Sendable {
    let id: UUID
    let draft: LeadDraft
    let answer: StoredLead
}

enum IntakeRows {
    /// Every column of `leads` that intake writes.
    static let lead = RowShape<NewLeadRow>(
        "leads",
        [
            ("id", { .uuid($0.draft.id) }),
            ("organization_id", { .uuid($0.draft.organizationId) }),
            ("form_id", { .uuid($0.draft.formId) }),
            ("account_id", { .uuid($0.draft.accountId) }),
            ("crm_id", { .uuid($0.draft.crmId) }),
            ("landing_page_id", { .uuid($0.draft.landingPageId) }),
            ("diffusion_source_id", { .uuid($0.draft.diffusionSourceId) }),
            ("product_type", { .text($0.draft.productType) }),
            ("status", { .text($0.stored.status.rawValue) }),
            ("duplicate_of", { .uuid($0.stored.duplicateOf) }),
            ("phone", { .text($0.draft.lead.phone.e164) }),
            ("civilite", { .text($0.draft.lead.civilite) }),
            ("nom", { .text($0.draft.lead.nom) }),
            ("prenom", { .text($0.draft.lead.prenom) }),
            ("email", { .text($0.draft.lead.email) }),
            ("code_postal", { .text($0.draft.lead.codePostal) }),
            ("departement", { .text($0.draft.lead.departement) }),
            ("ville", { .text($0.draft.lead.ville) }),
            ("adresse", { .text($0.draft.lead.adresse) }),
            ("type_logement", { .text($0.draft.lead.typeLogement) }),
            ("statut_occupant", { .text($0.draft.lead.statutOccupant) }),
            ("surface_habitable", { .integer($0.draft.lead.surfaceHabitable) }),
            ("chauffage_actuel", { .text($0.draft.lead.chauffageActuel) }),
            ("facture_electricite", { .text($0.draft.lead.factureElectricite) }),
            ("extra", { .text(JSONText.encode($0.draft.lead.extra)) }),
            ("form_code", { .text($0.draft.formCode) }),
            ("lp_code", { .text($0.draft.lead.lpCode) }),
            ("session_id", { .text($0.draft.lead.attribution["session_id"]) }),
            ("visitor_id", { .text($0.draft.lead.attribution["visitor_id"]) }),
            ("utm_source", { .text($0.draft.lead.attribution["utm_source"]) }),
            ("utm_medium", { .text($0.draft.lead.attribution["utm_medium"]) }),
            ("utm_campaign", { .text($0.draft.lead.attribution["utm_campaign"]) }),
            ("utm_content", { .text($0.draft.lead.attribution["utm_content"]) }),
            ("utm_term", { .text($0.draft.lead.attribution["utm_term"]) }),
            ("gclid", { .text($0.draft.lead.attribution["gclid"]) }),
            ("fbclid", { .text($0.draft.lead.attribution["fbclid"]) }),
            ("referrer", { .text($0.draft.lead.attribution["referrer"]) }),
            ("page_url", { .text($0.draft.lead.attribution["page_url"]) }),
            ("consent_phone", { .bool($0.draft.lead.consent.phone) }),
            ("consent_email", { .bool($0.draft.lead.consent.email) }),
            ("consent_text", { .text($0.draft.lead.consent.text) }),
            ("consent_url", { .text($0.draft.lead.consent.url ?? $0.draft.lead.attribution["page_url"]) }),
            ("consent_at", { .date($0.draft.receivedAt) }),
            ("consent_hash", { .text($0.draft.consentHash) }),
            ("consent_partners_version", { .text($0.draft.lead.consent.partnersVersion) }),
            ("quality_score", { .integer($0.stored.quality?.score) }),
            (
                "quality_reasons",
                { row in .text(row.stored.quality.flatMap { $0.signals.isEmpty ? nil : JSONText.encode($0.signals) }) }
            ),
            (
                "review_errors",
                { row in
                    .text(
                        row.draft.kept == nil || row.draft.errors.isEmpty
                            ? nil : JSONText.encode(row.draft.errors.messages))
                }
            ),
            ("ip", { .text($0.draft.ip) }),
            ("user_agent", { .text($0.draft.userAgent) }),
            ("submission_hash", { .text($0.draft.submissionHash) }),
            ("api_key_id", { .uuid($0.draft.apiKeyId) }),
            ("created_at", { .date($0.draft.receivedAt) }),
            ("updated_at", { .date($0.draft.receivedAt) }),
            ("routed_crm_id", { .uuid($0.routed?.decision.destination) }),
            ("routing_reason", { .text($0.routed?.decision.reason.code) }),
            ("routing_explanation", { .text($0.routed?.decision.explanation) }),
            ("rerouted", { .bool($0.routed?.decision.isRerouted ?? false) }),
            ("unit_price_cents", { .integer($0.routed?.priceCents) }),
        ])

    /// The outbox row of a routed lead (in the lead's transaction).
    static let delivery = RowShape<NewLeadRow>(
        "deliveries",
        [
            ("id", { .uuid($0.routed?.deliveryId) }),
            ("organization_id", { .uuid($0.draft.organizationId) }),
            ("lead_id", { .uuid($0.draft.id) }),
            ("crm_id", { .uuid($0.routed?.decision.destination) }),
            ("product_type", { .text($0.draft.productType) }),
            ("status", { .text($0.routed?.deliveryStatus.rawValue) }),
            ("attempts", { _ in .integer(0) }),
            ("next_attempt_at", { .date($0.routed?.deliveryStatus == .pending ? $0.draft.receivedAt : nil) }),
            ("last_error", { .text($0.routed?.deliveryStatus == .pending ? nil : $0.routed?.decision.explanation) }),
            ("created_at", { .date($0.draft.receivedAt) }),
            ("updated_at", { .date($0.draft.receivedAt) }),
        ])

    /// An `Idempotency-Key` and the answer given to it.
    static let idempotency = RowShape<IdempotencyRow>(
        "idempotency_keys",
        [
            ("id", { .uuid($0.id) }),
            ("organization_id", { .uuid($0.draft.organizationId) }),
            ("key", { .text($0.draft.idempotencyKey) }),
            ("request_hash", { .text($0.draft.submissionHash) }),
            ("lead_id", { .uuid($0.answer.id) }),
            ("response_status", { _ in .integer(201) }),
            ("response_body", { .text(LeadWriter.answerJSON($0.answer.answer)) }),
            ("created_at", { .date($0.draft.receivedAt) }),
        ])
}
