import Foundation

/// One cell of the inter-CRM matrix: leads of `fromCrm`'s accounts rerouted to `toCrm` for a
/// product, at one unit price (the receiving CRM's price when each lead was routed).
public struct BillingLine: Sendable, Equatable {
    public let fromCrmId: UUID
    public let toCrmId: UUID
    public let productType: String
    public let leads: Int
    public let unitPriceCents: Int
    /// Of `leads`, those returned by the receiving CRM and accepted: a credit (« avoir »).
    public let returned: Int

    public init(fromCrmId: UUID, toCrmId: UUID, productType: String, leads: Int, unitPriceCents: Int, returned: Int = 0)
    {
        self.fromCrmId = fromCrmId
        self.toCrmId = toCrmId
        self.productType = productType
        self.leads = leads
        self.unitPriceCents = unitPriceCents
        self.returned = returned
    }

    public var grossCents: Int { leads * unitPriceCents }
    public var creditCents: Int { returned * unitPriceCents }
    /// What is owed: the leads less the accepted returns.
    public var amountCents: Int { grossCents - creditCents }
}

/// What CRMs invoice each other for a period — the first version's rule: the CRM that
/// *receives* a rerouted lead invoices the *origin* CRM (whose account produced it), at the
/// receiving CRM's lead price. A line `from → to` is an amount `to` invoices and `from` pays.
/// Lines sorted by CRM pair, product and price; amounts in cents so that sums are exact.
public struct BillingMatrix: Sendable, Equatable {
    public let lines: [BillingLine]

    public init(lines: [BillingLine]) {
        self.lines = lines.filter { $0.leads > 0 }.sorted {
            ($0.fromCrmId.uuidString, $0.toCrmId.uuidString, $0.productType, $0.unitPriceCents)
                < ($1.fromCrmId.uuidString, $1.toCrmId.uuidString, $1.productType, $1.unitPriceCents)
        }
    }

    public var totalCents: Int { lines.reduce(0) { $0 + $1.amountCents } }
    public var totalCreditCents: Int { lines.reduce(0) { $0 + $1.creditCents } }
    public var totalReturned: Int { lines.reduce(0) { $0 + $1.returned } }
    public var totalLeads: Int { lines.reduce(0) { $0 + $1.leads } }

    /// The lines between two CRMs, in this direction.
    public func between(_ from: UUID, _ to: UUID) -> [BillingLine] {
        lines.filter { $0.fromCrmId == from && $0.toCrmId == to }
    }

    /// Every (origin, receiver) pair that has lines.
    public var pairs: [(from: UUID, to: UUID)] {
        var seen: [String] = []
        var result: [(UUID, UUID)] = []
        for line in lines {
            let key = line.fromCrmId.uuidString + line.toCrmId.uuidString
            if !seen.contains(key) {
                seen.append(key)
                result.append((line.fromCrmId, line.toCrmId))
            }
        }
        return result
    }
}

/// Leads of a period that a CRM accepted (delivered, or "doublon" at the CRM: the first version
/// billed both), grouped by origin CRM, receiving CRM, product, rerouting and unit price.
public struct BillingCount: Sendable, Equatable {
    public let originCrmId: UUID
    public let receivingCrmId: UUID
    public let productType: String
    public let rerouted: Bool
    public let unitPriceCents: Int
    public let leads: Int
    /// Of `leads`, those returned by the receiving CRM with the return accepted.
    public let returned: Int

    public init(
        originCrmId: UUID, receivingCrmId: UUID, productType: String, rerouted: Bool, unitPriceCents: Int, leads: Int,
        returned: Int = 0
    ) {
        self.originCrmId = originCrmId
        self.receivingCrmId = receivingCrmId
        self.productType = productType
        self.rerouted = rerouted
        self.unitPriceCents = unitPriceCents
        self.leads = leads
        self.returned = returned
    }
}

/// The first version's per-CRM statement for a period: leads originated (its accounts' leads
/// accepted anywhere), received (accepted by it), rerouted out and in, per product; what it
/// invoices (rerouted in, at its price), what it pays (rerouted out, at the receiver's price) and
/// the net balance.
public struct CrmBillingSummary: Sendable, Equatable {
    public let crmId: UUID
    public var originated: [String: Int] = [:]
    public var received: [String: Int] = [:]
    public var reroutedOut: [String: Int] = [:]
    public var reroutedIn: [String: Int] = [:]
    public var toInvoiceCents = 0
    public var toPayCents = 0
    /// Leads this CRM received and returned (accepted), per product.
    public var returned: [String: Int] = [:]
    /// Credits on rerouted leads: given by the origin's receiver (less to invoice), taken by the
    /// origin (less to pay). Already deducted from `toInvoiceCents` and `toPayCents`.
    public var creditGivenCents = 0
    public var creditTakenCents = 0

    public init(crmId: UUID) { self.crmId = crmId }

    public var netCents: Int { toInvoiceCents - toPayCents }

    static func total(_ counts: [String: Int]) -> Int { counts.values.reduce(0, +) }
    public var originatedTotal: Int { Self.total(originated) }
    public var receivedTotal: Int { Self.total(received) }
    public var reroutedOutTotal: Int { Self.total(reroutedOut) }
    public var reroutedInTotal: Int { Self.total(reroutedIn) }
    public var returnedTotal: Int { Self.total(returned) }

    /// One statement per CRM of `crmIds` (in that order), from the period's counts.
    public static func statements(_ counts: [BillingCount], crmIds: [UUID]) -> [CrmBillingSummary] {
        var byCrm = Dictionary(uniqueKeysWithValues: crmIds.map { ($0, CrmBillingSummary(crmId: $0)) })
        for count in counts {
            byCrm[count.originCrmId]?.originated[count.productType, default: 0] += count.leads
            byCrm[count.receivingCrmId]?.received[count.productType, default: 0] += count.leads
            if count.returned > 0 {
                byCrm[count.receivingCrmId]?.returned[count.productType, default: 0] += count.returned
            }
            guard count.rerouted, count.originCrmId != count.receivingCrmId else { continue }
            let credit = count.returned * count.unitPriceCents
            let amount = count.leads * count.unitPriceCents - credit
            byCrm[count.originCrmId]?.reroutedOut[count.productType, default: 0] += count.leads
            byCrm[count.originCrmId]?.toPayCents += amount
            byCrm[count.originCrmId]?.creditTakenCents += credit
            byCrm[count.receivingCrmId]?.reroutedIn[count.productType, default: 0] += count.leads
            byCrm[count.receivingCrmId]?.toInvoiceCents += amount
            byCrm[count.receivingCrmId]?.creditGivenCents += credit
        }
        return crmIds.compactMap { byCrm[$0] }
    }

    /// The matrix lines of the rerouted counts (origin → receiver).
    public static func matrix(_ counts: [BillingCount]) -> BillingMatrix {
        var merged: [String: BillingLine] = [:]
        for count in counts where count.rerouted && count.originCrmId != count.receivingCrmId {
            let key = "\(count.originCrmId)|\(count.receivingCrmId)|\(count.productType)|\(count.unitPriceCents)"
            let leads = (merged[key]?.leads ?? 0) + count.leads
            let returned = (merged[key]?.returned ?? 0) + count.returned
            merged[key] = BillingLine(
                fromCrmId: count.originCrmId, toCrmId: count.receivingCrmId, productType: count.productType,
                leads: leads, unitPriceCents: count.unitPriceCents, returned: returned)
        }
        return BillingMatrix(lines: Array(merged.values))
    }
}

/// Billing periods in Europe/Paris calendar days, `YYYY-MM-DD`, both ends included.
public enum BillingPeriod {
    /// The calendar month that contains `date`: its first and last day.
    public static func month(containing date: Date, timeZone: TimeZone = FrenchFormat.parisTimeZone) -> (
        from: String, to: String
    ) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month], from: date)
        let first = calendar.date(from: parts)!
        let last = calendar.date(byAdding: DateComponents(month: 1, day: -1), to: first)!
        return (day(first, calendar), day(last, calendar))
    }

    /// The month before the one that contains `date`.
    public static func previousMonth(of date: Date, timeZone: TimeZone = FrenchFormat.parisTimeZone) -> (
        from: String, to: String
    ) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let first = calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
        return month(containing: calendar.date(byAdding: .day, value: -1, to: first)!, timeZone: timeZone)
    }

    static func day(_ date: Date, _ calendar: Calendar) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// A billing period asked for: `from`/`to` as `YYYY-MM-DD` (both included), the current Paris
    /// month of `now` when absent; at most a year, the end not before the start.
    public struct Range: Sendable, Equatable {
        public let from: String
        public let to: String
        /// [start, end) in time.
        public let start: Date
        public let end: Date
    }

    public static func parse(from: String?, to: String?, now: Date) -> Result<Range, FieldErrors> {
        let month = month(containing: now)
        let fromText = from?.isEmpty == false ? from! : month.from
        let toText = to?.isEmpty == false ? to! : month.to
        var errors = FieldErrors()
        let start = ParisDayRange(fromText)
        let end = ParisDayRange(toText)
        if start == nil { errors.add("from", "Date invalide (AAAA-MM-JJ).") }
        if end == nil { errors.add("to", "Date invalide (AAAA-MM-JJ).") }
        if let start, let end {
            if end.end <= start.start { errors.add("to", "La fin de la période précède son début.") }
            if end.end.timeIntervalSince(start.start) > 367 * 86_400 {
                errors.add("to", "Une période compte au plus un an.")
            }
        }
        guard errors.isEmpty, let start, let end else { return .failure(errors) }
        return .success(Range(from: fromText, to: toText, start: start.start, end: end.end))
    }

    /// "1 234,50 €" from cents.
    public static func euros(cents: Int) -> String {
        FrenchFormat.euros(Double(cents) / 100)
    }
}
