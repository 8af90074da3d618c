import Fluent
import Foundation
import LeadHubCore
import Vapor

/// A delivered lead returned by the CRM that bought it, with why and what was decided.
final class LeadReturn: Model, @unchecked Sendable {
    static let schema = "lead_returns"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "lead_id") var leadId: UUID
    /// The CRM that returns it (the one it was delivered to).
    @Field(key: "crm_id") var crmId: UUID
    @Field(key: "reason") var reasonRaw: String
    @OptionalField(key: "note") var note: String?
    /// `crm_api` (the CRM's returns key), `admin` (on its behalf), `csv` (a file).
    @Field(key: "channel") var channel: String
    @Field(key: "status") var statusRaw: String
    /// Past the organization's monthly cap for this CRM: shown as possible abuse, never automatic.
    @Field(key: "over_cap") var overCap: Bool
    @OptionalField(key: "requested_by") var requestedBy: String?
    @OptionalField(key: "decided_by") var decidedBy: String?
    @OptionalField(key: "decision_note") var decisionNote: String?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var reason: ReturnReason { ReturnReason(rawValue: reasonRaw) ?? .other }
    var status: ReturnStatus { ReturnStatus(rawValue: statusRaw) ?? .pending }
}

extension LeadReturn: TenantOwned {
    /// A user limited to some CRMs sees the returns of those CRMs only.
    static func restrict(_ query: QueryBuilder<LeadReturn>, to scope: TenantScope) -> QueryBuilder<LeadReturn> {
        guard let ids = scope.visibleCrmIds else { return query }
        return query.filter(\.$crmId ~~ Array(ids))
    }
}

struct LeadReturnDTO: Content {
    let id: UUID
    let leadId: UUID
    let crmId: UUID
    let reason: String
    let reasonLabel: String
    let note: String?
    let channel: String
    let status: String
    let overCap: Bool
    let requestedBy: String?
    let decidedBy: String?
    let decisionNote: String?
    let decidedAt: Date?
    let createdAt: Date
    /// The credit it makes on the billing of the lead's period when accepted (the lead's price).
    let creditCents: Int?

    enum CodingKeys: String, CodingKey {
        case id, leadId = "lead_id", crmId = "crm_id", reason, reasonLabel = "reason_label", note, channel, status
        case overCap = "over_cap", requestedBy = "requested_by", decidedBy = "decided_by"
        case decisionNote = "decision_note", decidedAt = "decided_at", createdAt = "created_at"
        case creditCents = "credit_cents"
    }

    init(_ r: LeadReturn, lead: Lead?) {
        id = r.id!
        leadId = r.leadId
        crmId = r.crmId
        reason = r.reasonRaw
        reasonLabel = r.reason.label
        note = r.note
        channel = r.channel
        status = r.statusRaw
        overCap = r.overCap
        requestedBy = r.requestedBy
        decidedBy = r.decidedBy
        decisionNote = r.decisionNote
        decidedAt = r.decidedAt
        createdAt = r.createdAt
        creditCents = lead?.unitPriceCents
    }
}
