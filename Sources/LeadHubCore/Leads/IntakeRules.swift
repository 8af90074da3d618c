import Foundation

/// A submission as the intake rules see it (what the writer resolved from the request).
public struct IntakeCandidate: Sendable, Equatable {
    public let id: UUID
    public let organizationId: UUID
    public let idempotencyKey: String?
    /// SHA-256 of the canonical body: the same submission twice has the same hash.
    public let submissionHash: String
    public let sessionId: String?
    /// E.164.
    public let phone: String
    public let productType: String
    public let formCode: String
    public let receivedAt: Date
    /// The organization's duplicate window (nil: the default, see `DuplicateWindow`).
    public let duplicateWindowHours: Int?
    /// The address and browser it came from (repeats in 24 h lower its quality).
    public var ip: String? = nil
    public var visitorId: String? = nil
    /// `incomplete` or `invalid` when it is kept with field errors.
    public var kept: LeadStatus? = nil
    /// The quality signals of the submission itself (`LeadQuality.assess`).
    public var quality = QualityAssessment()
    public var holdThreshold = LeadQuality.defaultHoldThreshold
    public var rejectThreshold = LeadQuality.defaultRejectThreshold
    /// The organization requires a phone opt-in and the submission has none.
    public var consentMissing = false

    public init(
        id: UUID, organizationId: UUID, idempotencyKey: String?, submissionHash: String, sessionId: String?,
        phone: String, productType: String, formCode: String, receivedAt: Date, duplicateWindowHours: Int?
    ) {
        self.id = id
        self.organizationId = organizationId
        self.idempotencyKey = idempotencyKey
        self.submissionHash = submissionHash
        self.sessionId = sessionId
        self.phone = phone
        self.productType = productType
        self.formCode = formCode
        self.receivedAt = receivedAt
        self.duplicateWindowHours = duplicateWindowHours
    }
}

/// A lead already stored (or stored earlier in the same batch), as the rules need it.
public struct PriorLead: Sendable, Equatable {
    public let id: UUID
    public let organizationId: UUID
    public let sessionId: String?
    public let submissionHash: String
    public let status: LeadStatus
    public let duplicateOf: UUID?
    public let formCode: String
    public let createdAt: Date
    public let phone: String
    public let productType: String

    public init(
        id: UUID, organizationId: UUID, sessionId: String?, submissionHash: String, status: LeadStatus,
        duplicateOf: UUID?, formCode: String, createdAt: Date, phone: String, productType: String
    ) {
        self.id = id
        self.organizationId = organizationId
        self.sessionId = sessionId
        self.submissionHash = submissionHash
        self.status = status
        self.duplicateOf = duplicateOf
        self.formCode = formCode
        self.createdAt = createdAt
        self.phone = phone
        self.productType = productType
    }

    public var sessionKey: String { IntakeRules.sessionKey(organizationId, sessionId ?? "") }
    public var phoneKey: String { IntakeRules.phoneKey(organizationId, phone, productType) }
}

/// What the rules decided for one submission.
public enum IntakeVerdict: Sendable, Equatable {
    /// Store it: a new lead (`received`), or a duplicate of an earlier lead of the same phone and
    /// product within the window (`duplicate`, `duplicateOf` the first of them).
    case store(PriorLead)
    /// The same idempotency key was seen with the same body: the stored answer, unchanged.
    case replayed(status: Int, body: String)
    /// The same idempotency key was seen with another body.
    case idempotencyMismatch
    /// The same body from the same session a few seconds ago (a double click): the first lead.
    case doubleSubmit(PriorLead)
}

/// The rules of lead intake, pure: idempotency key first, then double submit (same session and
/// body within `doubleSubmitWindow`), then duplicate (same phone and product within the
/// organization's window). A batch is decided in arrival order; what it stores is seen by the
/// submissions after it.
public enum IntakeRules {
    public static let doubleSubmitWindow: TimeInterval = 5

    /// An idempotency key already answered.
    public struct KnownKey: Sendable, Equatable {
        public let hash: String
        public let status: Int
        public let body: String

        public init(hash: String, status: Int, body: String) {
            self.hash = hash
            self.status = status
            self.body = body
        }
    }

    /// What the rules need to know about earlier leads (`keyKey`, `sessionKey` and `phoneKey`).
    public struct Lookups: Sendable {
        public var known: [String: KnownKey] = [:]
        public var bySession: [String: [PriorLead]] = [:]
        public var byPhone: [String: [PriorLead]] = [:]
        /// Leads of the last 24 h per address and per visitor (`addressKey`, `visitorKey`).
        public var recentByAddress: [String: Int] = [:]
        public var recentByVisitor: [String: Int] = [:]

        public init(
            known: [String: KnownKey] = [:], bySession: [String: [PriorLead]] = [:],
            byPhone: [String: [PriorLead]] = [:]
        ) {
            self.known = known
            self.bySession = bySession
            self.byPhone = byPhone
        }

        /// Files a prior lead under its session and phone.
        public mutating func add(_ lead: PriorLead) {
            if lead.sessionId != nil { bySession[lead.sessionKey, default: []].append(lead) }
            if !lead.phone.isEmpty { byPhone[lead.phoneKey, default: []].append(lead) }
        }
    }

    public struct Decision: Sendable {
        /// One per candidate, in order.
        public var verdicts: [IntakeVerdict]
        /// Indexes of the candidates to insert, with what to store.
        public var newLeads: [(index: Int, lead: PriorLead)]
        /// Idempotency keys to remember: the candidate's index and the lead its answer names.
        public var remembered: [(index: Int, lead: PriorLead)]
        /// The quality of each stored candidate (by index), repeats included.
        public var quality: [Int: QualityAssessment] = [:]
    }

    /// How far back repeats of an address or a visitor count.
    public static let repeatWindow: TimeInterval = 86_400

    public static func addressKey(_ organizationId: UUID, _ ip: String) -> String {
        organizationId.text + "|" + ip
    }

    public static func keyKey(_ organizationId: UUID, _ key: String) -> String { organizationId.text + "|" + key }
    public static func sessionKey(_ organizationId: UUID, _ session: String) -> String {
        organizationId.text + "|" + session
    }
    public static func phoneKey(_ organizationId: UUID, _ phone: String, _ product: String) -> String {
        organizationId.text + "|" + phone + "|" + product
    }

    public static func decide(_ candidates: [IntakeCandidate], _ lookups: Lookups) -> Decision {
        var verdicts: [IntakeVerdict] = []
        verdicts.reserveCapacity(candidates.count)
        var seen = lookups
        var newLeads: [(index: Int, lead: PriorLead)] = []
        var remembered: [(index: Int, lead: PriorLead)] = []
        var qualities: [Int: QualityAssessment] = [:]
        for (index, c) in candidates.enumerated() {
            if let key = c.idempotencyKey, let previous = lookups.known[keyKey(c.organizationId, key)] {
                verdicts.append(
                    previous.hash == c.submissionHash
                        ? .replayed(status: previous.status, body: previous.body) : .idempotencyMismatch)
                continue
            }
            if let session = c.sessionId {
                let window = c.receivedAt.addingTimeInterval(-doubleSubmitWindow)
                let same = (seen.bySession[sessionKey(c.organizationId, session)] ?? [])
                    .filter { $0.submissionHash == c.submissionHash && $0.createdAt >= window }
                if let first = same.min(by: { $0.createdAt < $1.createdAt }) {
                    verdicts.append(.doubleSubmit(first))
                    if c.idempotencyKey != nil { remembered.append((index, first)) }
                    continue
                }
            }
            let windowStart = DuplicateWindow.start(for: c.receivedAt, hours: c.duplicateWindowHours)
            // A lead kept without a phone (an e-mail only) is nobody's duplicate.
            let earlier =
                c.phone.isEmpty
                ? nil
                : (seen.byPhone[phoneKey(c.organizationId, c.phone, c.productType)] ?? [])
                    .filter { $0.createdAt >= windowStart && $0.status.countsForDuplicates }
                    .min { ($0.createdAt, $0.id.text) < ($1.createdAt, $1.id.text) }
            let duplicateOf = earlier.map { $0.duplicateOf ?? $0.id }
            let addressKey = c.ip.map { Self.addressKey(c.organizationId, $0) }
            let visitorKey = c.visitorId.map { Self.addressKey(c.organizationId, $0) }
            var quality = c.quality
            quality.signals += LeadQuality.repeats(
                sameAddress: addressKey.map { seen.recentByAddress[$0] ?? 0 } ?? 0,
                sameVisitor: visitorKey.map { seen.recentByVisitor[$0] ?? 0 } ?? 0)
            let status = status(of: c, duplicate: duplicateOf != nil, quality: quality)
            // A lead kept with field errors does not count as a repeat: the person who corrects
            // their entry and sends again is not several people.
            if status.countsAsRepeat {
                if let addressKey { seen.recentByAddress[addressKey, default: 0] += 1 }
                if let visitorKey { seen.recentByVisitor[visitorKey, default: 0] += 1 }
            }
            let lead = PriorLead(
                id: c.id, organizationId: c.organizationId, sessionId: c.sessionId, submissionHash: c.submissionHash,
                status: status, duplicateOf: duplicateOf, formCode: c.formCode,
                createdAt: c.receivedAt, phone: c.phone, productType: c.productType)
            qualities[index] = quality
            seen.add(lead)
            verdicts.append(.store(lead))
            newLeads.append((index, lead))
            if c.idempotencyKey != nil { remembered.append((index, lead)) }
        }
        return Decision(verdicts: verdicts, newLeads: newLeads, remembered: remembered, quality: qualities)
    }

    /// What a new lead is stored as: a duplicate first (it is never sent anyway), then the quality
    /// reject, the field errors, the quality hold and the missing consent; `received` otherwise.
    public static func status(of c: IntakeCandidate, duplicate: Bool, quality: QualityAssessment) -> LeadStatus {
        if duplicate { return .duplicate }
        let verdict = quality.verdict(hold: c.holdThreshold, reject: c.rejectThreshold)
        if verdict == .reject { return .rejected }
        if let kept = c.kept { return kept }
        if verdict == .hold { return .held }
        if c.consentMissing { return .noConsent }
        return .received
    }
}
