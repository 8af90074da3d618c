import Fluent
import Foundation
import LeadHubCore
import Vapor

struct BillingQuery: Content {
    var from: String?
    var to: String?
    var fromCrmId: UUID?
    var toCrmId: UUID?
    var productType: String?

    enum CodingKeys: String, CodingKey {
        case from, to, fromCrmId = "from_crm_id", toCrmId = "to_crm_id", productType = "product_type"
    }
}

/// `/api/admin/billing`: the matrix as JSON, its leads, CSV, and invoiced periods.
struct BillingAPIController {
    struct Row: Content {
        let fromCrmId: UUID
        let toCrmId: UUID
        let productType: String
        let leads: Int
        let unitPrice: Double
        /// Net of the accepted returns (`credit`).
        let amount: Double
        var returned: Int = 0
        var credit: Double = 0

        enum CodingKeys: String, CodingKey {
            case fromCrmId = "from_crm_id", toCrmId = "to_crm_id", productType = "product_type", leads
            case unitPrice = "unit_price", amount, returned, credit
        }
    }

    struct Matrix: Content {
        let from: String
        let to: String
        /// Lines origin → receiver: the receiver invoices the origin (`amount`).
        let rows: [Row]
        let leads: Int
        let total: Double
        /// The first version's per-CRM statement.
        let crms: [Statement]
    }

    struct Statement: Content {
        let crmId: UUID
        let crmName: String
        let leadsOriginated: [String: Int]
        let leadsReceived: [String: Int]
        let leadsReroutedOut: [String: Int]
        let leadsReroutedIn: [String: Int]
        let amountToInvoice: Double
        let amountToPay: Double
        let netBalance: Double
        /// Leads this CRM received and returned (accepted), and the credits on rerouted leads.
        let leadsReturned: [String: Int]
        let creditGiven: Double
        let creditTaken: Double

        enum CodingKeys: String, CodingKey {
            case leadsReturned = "leads_returned", creditGiven = "credit_given", creditTaken = "credit_taken"
            case crmId = "crm_id", crmName = "crm_name", leadsOriginated = "leads_originated"
            case leadsReceived = "leads_received", leadsReroutedOut = "leads_rerouted_out"
            case leadsReroutedIn = "leads_rerouted_in", amountToInvoice = "amount_to_invoice"
            case amountToPay = "amount_to_pay", netBalance = "net_balance"
        }

        init(_ s: CrmBillingSummary, name: String) {
            func withTotal(_ counts: [String: Int]) -> [String: Int] {
                var out = counts
                out["total"] = counts.values.reduce(0, +)
                return out
            }
            crmId = s.crmId
            crmName = name
            leadsOriginated = withTotal(s.originated)
            leadsReceived = withTotal(s.received)
            leadsReroutedOut = withTotal(s.reroutedOut)
            leadsReroutedIn = withTotal(s.reroutedIn)
            amountToInvoice = Double(s.toInvoiceCents) / 100
            amountToPay = Double(s.toPayCents) / 100
            netBalance = Double(s.netCents) / 100
            leadsReturned = withTotal(s.returned)
            creditGiven = Double(s.creditGivenCents) / 100
            creditTaken = Double(s.creditTakenCents) / 100
        }
    }

    struct InvoiceDTO: Content {
        let id: UUID
        let fromCrmId: UUID
        let toCrmId: UUID
        let from: String
        let to: String
        let leads: Int
        let amount: Double
        let notes: String?
        let userEmail: String?
        let createdAt: Date
        let currentLeads: Int
        let currentAmount: Double
        let changed: Bool

        enum CodingKeys: String, CodingKey {
            case id, fromCrmId = "from_crm_id", toCrmId = "to_crm_id", from, to, leads, amount, notes
            case userEmail = "user_email", createdAt = "created_at", currentLeads = "current_leads"
            case currentAmount = "current_amount", changed
        }

        init(_ state: BillingService.InvoiceState) {
            let i = state.invoice
            id = i.id!
            fromCrmId = i.fromCrmId
            toCrmId = i.toCrmId
            from = i.periodFrom
            to = i.periodTo
            leads = i.leadCount
            amount = Double(i.amountCents) / 100
            notes = i.notes
            userEmail = i.userEmail
            createdAt = i.createdAt
            currentLeads = state.currentLeads
            currentAmount = Double(state.currentAmountCents) / 100
            changed = state.hasChanged
        }
    }

    @Sendable func matrix(req: Request) async throws -> Matrix {
        let scope = try req.tenantScope()
        let query = try req.query.decode(BillingQuery.self)
        let period = try BillingService.period(from: query.from, to: query.to, now: req.now)
        let matrix = try await BillingService.matrix(period, scope: scope, on: req.db)
        let statements = try await BillingService.statements(period, scope: scope, on: req.db)
        let crms = try await scope.query(Crm.self, on: req.db).all()
        return Matrix(
            from: period.from, to: period.to,
            rows: matrix.lines.map {
                Row(
                    fromCrmId: $0.fromCrmId, toCrmId: $0.toCrmId, productType: $0.productType, leads: $0.leads,
                    unitPrice: Double($0.unitPriceCents) / 100, amount: Double($0.amountCents) / 100,
                    returned: $0.returned, credit: Double($0.creditCents) / 100)
            }, leads: matrix.totalLeads, total: Double(matrix.totalCents) / 100,
            crms: statements.map { s in Statement(s, name: crms.first { $0.id == s.crmId }?.name ?? "CRM supprimé") })
    }

    @Sendable func leads(req: Request) async throws -> ListResponse<LeadDTO> {
        let scope = try req.tenantScope()
        let query = try req.query.decode(BillingQuery.self)
        let period = try BillingService.period(from: query.from, to: query.to, now: req.now)
        let leads = try await BillingService.leads(
            period, from: query.fromCrmId, to: query.toCrmId, product: query.productType, scope: scope, on: req.db)
        let deliveries = try await LeadsAPIController.deliveries(of: leads, on: req.db)
        return ListResponse(items: leads.map { LeadDTO($0, delivery: deliveries[$0.id!]) }, nextCursor: nil)
    }

    @Sendable func export(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let query = try req.query.decode(BillingQuery.self)
        let period = try BillingService.period(from: query.from, to: query.to, now: req.now)
        let matrix = try await BillingService.matrix(period, scope: scope, on: req.db)
        let crms = try await scope.query(Crm.self, on: req.db).all()
        func name(_ id: UUID) -> String { crms.first { $0.id == id }?.name ?? id.uuidString }
        func cell(_ text: String) -> String {
            text.contains(";") || text.contains("\"") || text.contains("\n")
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        func money(_ cents: Int) -> String {
            String(format: "%.2f", Double(cents) / 100).replacingOccurrences(of: ".", with: ",")
        }
        var csv =
            "\u{FEFF}Période;CRM d'origine;CRM destinataire;Produit;Leads;Prix unitaire (€);Montant (€);Facturé par;Payé par\r\n"
        for line in matrix.lines {
            csv +=
                [
                    "\(period.from) → \(period.to)", name(line.fromCrmId), name(line.toCrmId), line.productType,
                    String(line.leads),
                    money(line.unitPriceCents), money(line.amountCents), name(line.toCrmId), name(line.fromCrmId),
                ].map(cell).joined(separator: ";") + "\r\n"
        }
        csv +=
            ["Total", "", "", "", String(matrix.totalLeads), "", money(matrix.totalCents), "", ""].joined(
                separator: ";") + "\r\n"
        csv +=
            "\r\nBilan par CRM;Leads d'origine;Leads reçus;Redirigés sortants;Redirigés entrants;À facturer (€);À payer (€);Solde net (€)\r\n"
        for statement in try await BillingService.statements(period, scope: scope, on: req.db) {
            csv +=
                [
                    name(statement.crmId), String(statement.originatedTotal), String(statement.receivedTotal),
                    String(statement.reroutedOutTotal), String(statement.reroutedInTotal),
                    money(statement.toInvoiceCents),
                    money(statement.toPayCents), money(statement.netCents),
                ].map(cell).joined(separator: ";") + "\r\n"
        }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
        headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"facturation-\(period.from)-\(period.to).csv\"")
        return Response(status: .ok, headers: headers, body: .init(string: csv))
    }

    @Sendable func invoices(req: Request) async throws -> ListResponse<InvoiceDTO> {
        let states = try await BillingService.invoices(scope: try req.tenantScope(), now: req.now, on: req.db)
        return ListResponse(items: states.map(InvoiceDTO.init), nextCursor: nil)
    }

    struct InvoiceBody: Content {
        var from: String?
        var to: String?
        var fromCrmId: UUID?
        var toCrmId: UUID?
        var notes: String?

        enum CodingKeys: String, CodingKey {
            case from, to, fromCrmId = "from_crm_id", toCrmId = "to_crm_id", notes
        }
    }

    @Sendable func createInvoice(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        try scope.require(.manageBilling)
        let body = try req.content.decode(InvoiceBody.self)
        let period = try BillingService.period(from: body.from, to: body.to, now: req.now)
        let invoice = try await BillingService.markInvoiced(
            period, from: body.fromCrmId, to: body.toCrmId, notes: body.notes, scope: scope, now: req.now, on: req.db)
        let state = BillingService.InvoiceState(
            invoice: invoice, currentLeads: invoice.leadCount, currentAmountCents: invoice.amountCents, changedLeads: 0)
        return try await InvoiceDTO(state).encodeResponse(status: .created, for: req)
    }

    @Sendable func deleteInvoice(req: Request) async throws -> HTTPStatus {
        try await BillingService.deleteInvoice(
            req.id("invoice_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
        return .noContent
    }
}

/// "Facturation": the period's matrix, its leads, marking a period invoiced, the history.
struct BillingPagesController {
    struct Line: Encodable {
        let product: String
        let leads: String
        let unitPrice: String
        let amount: String
        let leadsHref: String
        /// « dont 2 retours : −40,00 € », when returns were accepted.
        var credit: String? = nil
    }

    struct Pair: Encodable {
        let fromId: String
        let toId: String
        let title: String
        let lines: [Line]
        let leads: String
        let amount: String
        let leadsHref: String
        let invoiced: String?
    }

    struct HistoryRow: Encodable {
        let id: String
        let period: String
        let pair: String
        let leads: String
        let amount: String
        let who: String
        let when: String
        let notes: String?
        let changed: String?
    }

    struct StatementRow: Encodable {
        let crm: String
        let originated: String
        let received: String
        let reroutedOut: String
        let reroutedIn: String
        let toInvoice: String
        let toPay: String
        let net: String
        let netTone: String
        var returned: String = "0"
        var credits: String? = nil
    }

    struct Context: Encodable {
        let from: String
        let to: String
        let statements: [StatementRow]
        let thisMonth: String
        let lastMonth: String
        let pairs: [Pair]
        let total: String
        let totalLeads: String
        let history: [HistoryRow]
        let exportHref: String
        let errors: FormErrors
        let canInvoice: Bool
    }

    @Sendable func index(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let query = try req.query.decode(BillingQuery.self)
        let period: BillingService.Period
        var errors: FieldErrors? = nil
        do {
            period = try BillingService.period(from: query.from, to: query.to, now: req.now)
        } catch let problem as FieldErrors {
            errors = problem
            period = try BillingService.period(from: nil, to: nil, now: req.now)
        }
        let matrix = try await BillingService.matrix(period, scope: scope, on: req.db)
        let crms = try await scope.query(Crm.self, on: req.db).all()
        func name(_ id: UUID) -> String { crms.first { $0.id == id }?.name ?? "CRM supprimé" }
        let states = try await BillingService.invoices(scope: scope, now: req.now, on: req.db)
        let range = "from=\(period.from)&to=\(period.to)"
        let pairs = matrix.pairs.map { pair -> Pair in
            let lines = matrix.between(pair.from, pair.to)
            let base = "/billing/leads?\(range)&from_crm_id=\(pair.from.uuidString)&to_crm_id=\(pair.to.uuidString)"
            let invoiced = states.first {
                $0.invoice.fromCrmId == pair.from && $0.invoice.toCrmId == pair.to
                    && $0.invoice.periodFrom == period.from
                    && $0.invoice.periodTo == period.to
            }
            return Pair(
                fromId: pair.from.uuidString, toId: pair.to.uuidString,
                title: "\(name(pair.to)) facture \(name(pair.from))",
                lines: lines.map {
                    Line(
                        product: $0.productType, leads: FrenchFormat.integer($0.leads),
                        unitPrice: BillingPeriod.euros(cents: $0.unitPriceCents),
                        amount: BillingPeriod.euros(cents: $0.amountCents),
                        leadsHref: base + "&product_type=\($0.productType)",
                        credit: $0.returned > 0
                            ? "dont \($0.returned) retour(s) accepté(s) : −\(BillingPeriod.euros(cents: $0.creditCents))"
                            : nil)
                },
                leads: FrenchFormat.integer(lines.reduce(0) { $0 + $1.leads }),
                amount: BillingPeriod.euros(cents: lines.reduce(0) { $0 + $1.amountCents }), leadsHref: base,
                invoiced: invoiced.map { "Facturée le \(FrenchFormat.dateTime($0.invoice.createdAt))" })
        }
        let history = states.map { state -> HistoryRow in
            let i = state.invoice
            var changed: String? = nil
            if state.hasChanged {
                changed =
                    "Modifiée depuis : aujourd'hui \(state.currentLeads) leads, \(BillingPeriod.euros(cents: state.currentAmountCents))"
                    + (state.changedLeads > 0 ? " (\(state.changedLeads) lead(s) modifié(s) après la facturation)" : "")
            }
            return HistoryRow(
                id: i.id!.uuidString, period: "\(i.periodFrom) → \(i.periodTo)",
                pair: "\(name(i.fromCrmId)) → \(name(i.toCrmId))", leads: FrenchFormat.integer(i.leadCount),
                amount: BillingPeriod.euros(cents: i.amountCents), who: i.userEmail ?? "—",
                when: FrenchFormat.dateTime(i.createdAt), notes: i.notes, changed: changed)
        }
        let this = BillingPeriod.month(containing: req.now)
        let last = BillingPeriod.previousMonth(of: req.now)
        func breakdown(_ counts: [String: Int]) -> String {
            let parts = counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }
                .map { "\($0.key) \(FrenchFormat.integer($0.value))" }
            return parts.isEmpty
                ? "0" : FrenchFormat.integer(counts.values.reduce(0, +)) + " (" + parts.joined(separator: ", ") + ")"
        }
        let statements = try await BillingService.statements(period, scope: scope, on: req.db).map { s in
            StatementRow(
                crm: name(s.crmId), originated: breakdown(s.originated), received: breakdown(s.received),
                reroutedOut: breakdown(s.reroutedOut), reroutedIn: breakdown(s.reroutedIn),
                toInvoice: BillingPeriod.euros(cents: s.toInvoiceCents),
                toPay: BillingPeriod.euros(cents: s.toPayCents),
                net: BillingPeriod.euros(cents: s.netCents),
                netTone: s.netCents > 0 ? "ok" : s.netCents < 0 ? "warn" : "muted", returned: breakdown(s.returned),
                credits: s.creditGivenCents + s.creditTakenCents > 0
                    ? "avoirs donnés \(BillingPeriod.euros(cents: s.creditGivenCents)), reçus \(BillingPeriod.euros(cents: s.creditTakenCents))"
                    : nil)
        }
        let context = Context(
            from: period.from, to: period.to, statements: statements, thisMonth: "from=\(this.from)&to=\(this.to)",
            lastMonth: "from=\(last.from)&to=\(last.to)", pairs: pairs,
            total: BillingPeriod.euros(cents: matrix.totalCents),
            totalLeads: FrenchFormat.integer(matrix.totalLeads), history: history,
            exportHref: "/billing/export.csv?\(range)", errors: FormErrors(errors),
            canInvoice: scope.role.allows(.manageBilling))
        return try await req.renderPage(
            "billing/index", title: "Facturation inter-CRM", context, status: errors == nil ? .ok : .unprocessableEntity
        )
    }

    struct LeadRow: Encodable {
        let id: String
        let when: String
        let who: String
        let product: String
        let departement: String
        let form: String
        let price: String
    }

    struct LeadsContext: Encodable {
        let title: String
        let back: String
        let rows: [LeadRow]
        let total: String
    }

    @Sendable func leads(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let query = try req.query.decode(BillingQuery.self)
        let period = try BillingService.period(from: query.from, to: query.to, now: req.now)
        let leads = try await BillingService.leads(
            period, from: query.fromCrmId, to: query.toCrmId, product: query.productType, scope: scope, on: req.db)
        let crms = try await scope.query(Crm.self, on: req.db).all()
        func name(_ id: UUID?) -> String { crms.first { $0.id == id }?.name ?? "—" }
        let rows = leads.map { lead in
            let person = [lead.prenom, lead.nom].compactMap { $0 }.joined(separator: " ")
            return LeadRow(
                id: lead.id!.uuidString, when: FrenchFormat.dateTime(lead.createdAt),
                who: person.isEmpty ? FrenchPhone.masked(lead.phone) : person, product: lead.productType,
                departement: lead.departement ?? "—", form: lead.formCode,
                price: lead.unitPriceCents.map { BillingPeriod.euros(cents: $0) } ?? "—")
        }
        let cents = leads.reduce(0) { $0 + ($1.unitPriceCents ?? 0) }
        let title =
            "Leads redirigés de \(name(query.fromCrmId)) vers \(name(query.toCrmId))"
            + (query.productType.map { " — \($0)" } ?? "") + ", \(period.from) → \(period.to)"
        return try await req.renderPage(
            "billing/leads", title: "Leads facturables",
            LeadsContext(
                title: title, back: "/billing?from=\(period.from)&to=\(period.to)", rows: rows,
                total: "\(FrenchFormat.integer(leads.count)) leads, \(BillingPeriod.euros(cents: cents))"))
    }

    @Sendable func mark(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let body = try req.content.decode(BillingAPIController.InvoiceBody.self)
        let back = "/billing?from=\(body.from ?? "")&to=\(body.to ?? "")"
        do {
            let period = try BillingService.period(from: body.from, to: body.to, now: req.now)
            let invoice = try await BillingService.markInvoiced(
                period, from: body.fromCrmId, to: body.toCrmId, notes: body.notes, scope: scope, now: req.now,
                on: req.db)
            return req.redirect(
                to: back,
                flash:
                    "Période marquée facturée : \(BillingPeriod.euros(cents: invoice.amountCents)), \(invoice.leadCount) leads."
            )
        } catch let errors as FieldErrors {
            return req.redirect(to: back, flash: errors.summary, error: true)
        }
    }

    @Sendable func delete(req: Request) async throws -> Response {
        try await BillingService.deleteInvoice(
            req.id("invoice_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
        return req.redirect(to: "/billing", flash: "Entrée de l'historique supprimée.")
    }
}
