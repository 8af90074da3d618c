import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// A period marked invoiced between two CRMs, with its figures at that moment.
final class BillingInvoice: Model, @unchecked Sendable {
    static let schema = "billing_invoices"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "from_crm_id") var fromCrmId: UUID
    @Field(key: "to_crm_id") var toCrmId: UUID
    @Field(key: "period_from") var periodFrom: String
    @Field(key: "period_to") var periodTo: String
    @Field(key: "lead_count") var leadCount: Int
    @Field(key: "amount_cents") var amountCents: Int
    @OptionalField(key: "notes") var notes: String?
    @OptionalField(key: "user_email") var userEmail: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// "Facturation inter-CRM": the leads of one CRM's accounts rerouted to another and accepted
/// there, per product and unit price (the receiving CRM's price when the lead was routed), for a
/// period of Paris days — the receiving CRM invoices the origin CRM; each CRM's statement
/// (originated, received, rerouted in and out, to invoice, to pay, net); invoiced periods.
enum BillingService {
    struct Period: Sendable {
        let from: String
        let to: String
        let start: Date
        let end: Date
    }

    /// `from`/`to` as `YYYY-MM-DD` (both included); the current Paris month when absent.
    static func period(from: String?, to: String?, now: Date) throws -> Period {
        let range = try BillingPeriod.parse(from: from, to: to, now: now).get()
        return Period(from: range.from, to: range.to, start: range.start, end: range.end)
    }

    /// The statuses the first version billed: accepted by the CRM (`success`), or already known
    /// to it (`duplicate`, "doublon" at the CRM).
    static let billedStatuses = [LeadStatus.delivered.rawValue, LeadStatus.crmDuplicate.rawValue]

    /// The period's accepted leads by origin CRM, receiving CRM, product, rerouting and unit price.
    /// A user limited to some CRMs sees the lines where one of them is the origin or the receiver.
    static func counts(_ period: Period, scope: TenantScope, on db: any Database) async throws -> [BillingCount] {
        let sql = db as! any SQLDatabase
        var query = sql.select()
            .column("crm_id").column("routed_crm_id").column("product_type").column("rerouted").column(
                "unit_price_cents"
            )
            .column(SQLFunction("count", args: SQLLiteral.all), as: "n")
            // Accepted returns: a credit on the billing of the lead's period.
            .column(
                SQLRaw("CAST(SUM(CASE WHEN \"return_status\" = 'accepted' THEN 1 ELSE 0 END) AS BIGINT)"),
                as: "returned"
            )
            .from("leads")
            .where("organization_id", .equal, scope.organizationId)
            .where("status", .in, billedStatuses)
            .where("created_at", .greaterThanOrEqual, period.start).where("created_at", .lessThan, period.end)
        if let visible = scope.visibleCrmIds {
            guard !visible.isEmpty else { return [] }
            query = query.where(
                SQLGroupExpression(
                    SQLBinaryExpression(
                        SQLBinaryExpression(SQLColumn("crm_id"), .in, SQLBind.group(Array(visible))), .or,
                        SQLBinaryExpression(SQLColumn("routed_crm_id"), .in, SQLBind.group(Array(visible))))))
        }
        let rows = try await query.groupBy("crm_id").groupBy("routed_crm_id").groupBy("product_type").groupBy(
            "rerouted"
        )
        .groupBy("unit_price_cents").all()
        return try rows.compactMap { row in
            guard let to = try row.decode(column: "routed_crm_id", as: UUID?.self) else { return nil }
            return BillingCount(
                originCrmId: try row.decode(column: "crm_id", as: UUID.self), receivingCrmId: to,
                productType: try row.decode(column: "product_type", as: String.self),
                rerouted: try row.decode(column: "rerouted", as: Bool.self),
                unitPriceCents: try row.decode(column: "unit_price_cents", as: Int?.self) ?? 0,
                leads: try row.decode(column: "n", as: Int.self),
                returned: try row.decode(column: "returned", as: Int?.self) ?? 0)
        }
    }

    /// What counts between CRMs: rerouted leads accepted by their receiving CRM, received in the period.
    static func matrix(_ period: Period, scope: TenantScope, on db: any Database) async throws -> BillingMatrix {
        CrmBillingSummary.matrix(try await counts(period, scope: scope, on: db))
    }

    /// The first version's per-CRM statement of the period, for the CRMs the user sees.
    static func statements(_ period: Period, scope: TenantScope, on db: any Database) async throws
        -> [CrmBillingSummary]
    {
        let crms = try await scope.query(Crm.self, on: db).sort(\.$name).all()
        return CrmBillingSummary.statements(
            try await counts(period, scope: scope, on: db), crmIds: crms.compactMap(\.id))
    }

    /// The leads behind a cell (or a pair when `product` is nil), newest first.
    static func leads(
        _ period: Period, from: UUID?, to: UUID?, product: String?, scope: TenantScope, on db: any Database
    ) async throws -> [Lead] {
        var query = scope.query(Lead.self, on: db).filter(\.$rerouted == true)
            .filter(\.$status ~~ billedStatuses)
            .filter(\.$createdAt >= period.start).filter(\.$createdAt < period.end)
        if let from { query = query.filter(\.$crmId == from) }
        if let to { query = query.filter(\.$routedCrmId == to) }
        if let product, !product.isEmpty { query = query.filter(\.$productType == product.uppercased()) }
        return try await query.sort(\.$createdAt, .descending).limit(5_000).all()
    }

    /// Marks the period invoiced between two CRMs with today's figures.
    static func markInvoiced(
        _ period: Period, from: UUID?, to: UUID?, notes: String?, scope: TenantScope, now: Date, on db: any Database
    ) async throws -> BillingInvoice {
        try scope.require(.manageBilling)
        var errors = FieldErrors()
        let crms = try await scope.query(Crm.self, on: db).all()
        let fromCrm = crms.first { $0.id == from }
        let toCrm = crms.first { $0.id == to }
        if fromCrm == nil { errors.add("from_crm_id", "CRM d'origine introuvable.") }
        if toCrm == nil { errors.add("to_crm_id", "CRM destinataire introuvable.") }
        if let from, from == to { errors.add("to_crm_id", "Choisissez deux CRM différents.") }
        let text = Check.optionalText(notes, field: "notes", max: 2_000, errors: &errors)
        try errors.throwIfAny()
        let lines = try await matrix(period, scope: scope, on: db).between(fromCrm!.id!, toCrm!.id!)
        // Marking the same period and pair again updates it (as the first version did).
        let existing = try await scope.query(BillingInvoice.self, on: db).filter(\.$fromCrmId == fromCrm!.id!)
            .filter(\.$toCrmId == toCrm!.id!).filter(\.$periodFrom == period.from).filter(\.$periodTo == period.to)
            .first()
        let invoice = existing ?? BillingInvoice()
        invoice.organizationId = scope.organizationId
        invoice.fromCrmId = fromCrm!.id!
        invoice.toCrmId = toCrm!.id!
        invoice.periodFrom = period.from
        invoice.periodTo = period.to
        invoice.leadCount = lines.reduce(0) { $0 + $1.leads }
        invoice.amountCents = lines.reduce(0) { $0 + $1.amountCents }
        invoice.notes = text ?? existing?.notes
        invoice.userEmail = scope.userEmail
        invoice.createdAt = now
        try await db.transaction { tx in
            try await invoice.save(on: tx)
            try await ActivityService.record(
                existing == nil ? .create : .update, objectType: "billing_invoice", objectId: invoice.id,
                summary:
                    "Période \(period.from) → \(period.to) facturée\(existing == nil ? "" : " (mise à jour)") : \(toCrm!.name) facture \(BillingPeriod.euros(cents: invoice.amountCents)) à \(fromCrm!.name) (\(invoice.leadCount) leads redirigés)",
                scope: scope, at: now, on: tx)
        }
        return invoice
    }

    static func deleteInvoice(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws {
        try scope.require(.manageBilling)
        let invoice = try await scope.find(BillingInvoice.self, id, on: db)
        try await db.transaction { tx in
            try await invoice.delete(on: tx)
            try await ActivityService.record(
                .delete, objectType: "billing_invoice", objectId: invoice.id,
                summary:
                    "Facturation de la période \(invoice.periodFrom) → \(invoice.periodTo) supprimée de l'historique",
                scope: scope, at: now, on: tx)
        }
    }

    /// An invoice with what the period says today: leads changed since it was marked show a gap.
    struct InvoiceState: Sendable {
        let invoice: BillingInvoice
        let currentLeads: Int
        let currentAmountCents: Int
        /// Leads of the period and pair changed after the invoice was marked.
        let changedLeads: Int

        var hasChanged: Bool {
            changedLeads > 0 || currentLeads != invoice.leadCount || currentAmountCents != invoice.amountCents
        }
    }

    static func invoices(scope: TenantScope, now: Date, on db: any Database) async throws -> [InvoiceState] {
        let invoices = try await scope.query(BillingInvoice.self, on: db).sort(\.$periodFrom, .descending).sort(
            \.$createdAt, .descending
        ).limit(500).all()
        var states: [InvoiceState] = []
        for invoice in invoices {
            let period = try period(from: invoice.periodFrom, to: invoice.periodTo, now: now)
            let lines = try await matrix(period, scope: scope, on: db).between(invoice.fromCrmId, invoice.toCrmId)
            let changed = try await scope.query(Lead.self, on: db).filter(\.$crmId == invoice.fromCrmId)
                .filter(\.$createdAt >= period.start).filter(\.$createdAt < period.end)
                .filter(\.$updatedAt > invoice.createdAt).filter(\.$routedCrmId == invoice.toCrmId)
                .count()
            states.append(
                InvoiceState(
                    invoice: invoice, currentLeads: lines.reduce(0) { $0 + $1.leads },
                    currentAmountCents: lines.reduce(0) { $0 + $1.amountCents }, changedLeads: changed))
        }
        return states
    }
}

extension BillingInvoice: TenantOwned {
    /// A user limited to some CRMs sees the invoiced periods where one of them pays or invoices.
    static func restrict(_ query: QueryBuilder<BillingInvoice>, to scope: TenantScope) -> QueryBuilder<BillingInvoice> {
        guard let visible = scope.visibleCrmIds else { return query }
        return query.group(.or) { $0.filter(\.$fromCrmId ~~ Array(visible)).filter(\.$toCrmId ~~ Array(visible)) }
    }
}
