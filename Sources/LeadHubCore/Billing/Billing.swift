import Foundation

/// One cell of the inter-CRM matrix: leads of `fromCrm`'s accounts rerouted to `toCrm` for a
/// product, at one unit price (the receiving CRM's price when each lead was routed).
public struct BillingLine: Sendable, Equatable {
    public let fromCrmId: UUID
    public let toCrmId: UUID
    public let productType: String
    public let leads: Int
    public let unitPriceCents: Int

    public init(fromCrmId: UUID, toCrmId: UUID, productType: String, leads: Int, unitPriceCents: Int) {
        self.fromCrmId = fromCrmId
        self.toCrmId = toCrmId
        self.productType = productType
        self.leads = leads
        self.unitPriceCents = unitPriceCents
    }

    public var amountCents: Int { leads * unitPriceCents }
}

/// What one CRM owes another for a period: the receiving CRM pays the origin CRM for the leads
/// rerouted to it, at its own price. Lines sorted by CRM pair, product and price; amounts in cents
/// so that sums are exact.
public struct BillingMatrix: Sendable, Equatable {
    public let lines: [BillingLine]

    public init(lines: [BillingLine]) {
        self.lines = lines.filter { $0.leads > 0 }.sorted {
            ($0.fromCrmId.uuidString, $0.toCrmId.uuidString, $0.productType, $0.unitPriceCents)
                < ($1.fromCrmId.uuidString, $1.toCrmId.uuidString, $1.productType, $1.unitPriceCents)
        }
    }

    public var totalCents: Int { lines.reduce(0) { $0 + $1.amountCents } }
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

/// Billing periods in Europe/Paris calendar days, `YYYY-MM-DD`, both ends included.
public enum BillingPeriod {
    /// The calendar month that contains `date`: its first and last day.
    public static func month(containing date: Date, timeZone: TimeZone = FrenchFormat.parisTimeZone) -> (from: String, to: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month], from: date)
        let first = calendar.date(from: parts)!
        let last = calendar.date(byAdding: DateComponents(month: 1, day: -1), to: first)!
        return (day(first, calendar), day(last, calendar))
    }

    /// The month before the one that contains `date`.
    public static func previousMonth(of date: Date, timeZone: TimeZone = FrenchFormat.parisTimeZone) -> (from: String, to: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let first = calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
        return month(containing: calendar.date(byAdding: .day, value: -1, to: first)!, timeZone: timeZone)
    }

    static func day(_ date: Date, _ calendar: Calendar) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// "1 234,50 €" from cents.
    public static func euros(cents: Int) -> String {
        FrenchFormat.euros(Double(cents) / 100)
    }
}
