import Fluent
import Foundation
import LeadHubCore

/// A published version of a hosted form: its definition as it was, never changed again.
final class HostedFormVersion: Model, @unchecked Sendable {
    static let schema = "hosted_form_versions"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "form_id") var formId: UUID
    @Field(key: "version") var version: Int
    @Field(key: "definition") var definitionJSON: String
    @OptionalField(key: "published_by") var publishedBy: UUID?
    @Field(key: "published_at") var publishedAt: Date

    init() {}

    var definition: FormDefinition? { HostedFormService.decode(definitionJSON) }
}

/// One visitor's walk through a hosted form: the partial answers, saved at each screen. Never
/// delivered to a CRM; in progress, then abandoned (30 min without an answer), completed (the
/// lead was sent) or disqualified. Deleted after 30 days.
final class FormSession: Model, @unchecked Sendable {
    static let schema = "form_sessions"

    enum Status: String, CaseIterable {
        case inProgress = "in_progress"
        case abandoned
        case completed
        case disqualified

        var label: String {
            switch self {
            case .inProgress: "En cours"
            case .abandoned: "Abandonné"
            case .completed: "Terminé"
            case .disqualified: "Non éligible"
            }
        }
    }

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "form_id") var formId: UUID
    @Field(key: "version") var version: Int
    /// The visitor's handle on the session (a hidden input and the page address), unguessable.
    @Field(key: "token") var token: String
    @Field(key: "status") var statusRaw: String
    @Field(key: "answers") var answersJSON: String
    @Field(key: "current_step") var currentStep: String
    /// The furthest screen reached (its position among the walked screens), for the drop-off.
    @Field(key: "furthest_position") var furthestPosition: Int
    @Field(key: "hidden") var hiddenJSON: String
    @OptionalField(key: "visitor_id") var visitorId: String?
    @OptionalField(key: "session_id") var sessionId: String?
    @OptionalField(key: "lp_code") var lpCode: String?
    @OptionalField(key: "lead_id") var leadId: UUID?
    @Field(key: "started_at") var startedAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "ended_at") var endedAt: Date?

    init() {}

    var status: Status {
        get { Status(rawValue: statusRaw) ?? .inProgress }
        set { statusRaw = newValue.rawValue }
    }

    var answers: FormAnswers {
        get { JSONText.decode(FormAnswers.self, from: answersJSON, default: FormAnswers()) }
        set { answersJSON = JSONText.encode(newValue) }
    }

    var hidden: [String: String] {
        get { JSONText.decode([String: String].self, from: hiddenJSON, default: [:]) }
        set { hiddenJSON = JSONText.encode(newValue) }
    }
}

extension FormSession: TenantOwned {}

/// The partners a lead may be passed to, as named in the consent block of hosted forms.
/// Each change is a new version; a lead records the version its visitor read.
final class ConsentPartnerList: Model, @unchecked Sendable {
    static let schema = "consent_partner_lists"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "version") var version: Int
    @Field(key: "partners") var partnersJSON: String
    @OptionalField(key: "created_by") var createdBy: UUID?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var partners: [String] { JSONText.decode([String].self, from: partnersJSON, default: []) }
}

extension ConsentPartnerList: TenantOwned {}

extension HostedFormVersion: TenantOwned {}
