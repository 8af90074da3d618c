import Foundation
import LeadHubCore
import Vapor

/// Everything the writer needs to store one lead, resolved and validated by the intake handler.
struct LeadDraft: Sendable {
    let id: UUID
    let organizationId: UUID
    let formId: UUID
    let accountId: UUID
    let crmId: UUID
    let landingPageId: UUID?
    let diffusionSourceId: UUID?
    let productType: String
    let formCode: String
    let lead: ValidatedLead
    let ip: String?
    let userAgent: String?
    let apiKeyId: UUID?
    /// SHA-256 of the canonical body: the same submission twice has the same hash.
    let submissionHash: String
    let idempotencyKey: String?
    let receivedAt: Date
    let duplicateWindowHours: Int?
    let excludeFromRouting: Bool
    /// The organization's CRMs when the lead arrived.
    let routing: RoutingConfig
    /// Kept with field errors (`incomplete` or `invalid`) and the errors, answered and stored.
    var kept: LeadStatus? = nil
    var errors = FieldErrors()
    /// The quality signals of the submission itself; repeats are added by the rules.
    var quality = QualityAssessment()
    var policy = IntakePolicy()
    /// SHA-256 of the consent wording shown.
    var consentHash: String? = nil

    /// The address whose repeats count against the lead's quality: a visitor's, not a proxy's or
    /// an internal caller's (loopback and private ranges are left out).
    var repeatAddress: String? { ip.flatMap { IPRange.isPublic($0) ? $0 : nil } }
}

/// What happened to a submission.
enum LeadOutcome: Sendable, Equatable {
    /// Stored now (as a new lead or as a duplicate of an earlier one).
    case stored(StoredLead)
    /// The same idempotency key was seen with the same body: the stored answer, unchanged.
    case replayed(status: Int, body: String)
    /// The same idempotency key was seen with another body.
    case idempotencyMismatch
    /// The same body from the same session a few seconds ago (a double click): the first lead.
    case doubleSubmit(StoredLead)
}

struct StoredLead: Sendable, Equatable {
    let id: UUID
    let status: LeadStatus
    let duplicateOf: UUID?
    let formCode: String
    let createdAt: Date
    /// The field errors of a lead kept with errors, answered with it.
    var errors: FieldErrors? = nil
    /// Told to the sender: the lead is kept but will not be sent (no phone opt-in).
    var warnings: FieldErrors? = nil
    /// The quality score and its reasons (new leads only).
    var quality: QualityAssessment? = nil

    /// The `201` body of the public API.
    var answer: LeadAnswer {
        LeadAnswer(
            id: id, status: status.answerStatus, duplicateOf: duplicateOf, formCode: formCode, createdAt: createdAt,
            errors: errors?.messages, warnings: warnings?.messages)
    }
}

struct LeadAnswer: Content, Equatable {
    let id: UUID
    let status: String
    let duplicateOf: UUID?
    let formCode: String
    let createdAt: Date
    var errors: [String: [String]]? = nil
    var warnings: [String: [String]]? = nil

    enum CodingKeys: String, CodingKey {
        case id, status, duplicateOf = "duplicate_of", formCode = "form_code", createdAt = "created_at", errors,
            warnings
    }
}
