import Foundation

/// How serious an alert is.
public enum AlertLevel: String, Codable, CaseIterable, Sendable {
    case warning
    case critical

    public var label: String {
        switch self {
        case .warning: "Attention"
        case .critical: "Critique"
        }
    }
}

/// A condition that holds now: one open alert per `key` at most.
public struct AlertCondition: Sendable, Equatable {
    public let key: String
    public let level: AlertLevel
    public let category: String
    public let message: String
    public let details: String
    /// What the alert is about, when it is one CRM or one form (users limited to some CRMs or
    /// accounts see only the alerts about what they see, and those about the whole organization).
    public let crmId: UUID?
    public let formId: UUID?

    public init(
        key: String, level: AlertLevel, category: String, message: String, details: String, crmId: UUID? = nil,
        formId: UUID? = nil
    ) {
        self.key = key
        self.level = level
        self.category = category
        self.message = message
        self.details = details
        self.crmId = crmId
        self.formId = formId
    }
}

/// What the alert rules look at, for one organization.
public struct AlertSnapshot: Sendable {
    public struct CrmState: Sendable {
        public let id: UUID
        public let name: String
        /// Deliveries that ended in an authentication error in the last hour.
        public let authErrorsLastHour: Int
        public let consecutiveFailures: Int
        public let attempts24h: Int
        public let successes24h: Int

        public init(
            id: UUID, name: String, authErrorsLastHour: Int, consecutiveFailures: Int, attempts24h: Int,
            successes24h: Int
        ) {
            self.id = id
            self.name = name
            self.authErrorsLastHour = authErrorsLastHour
            self.consecutiveFailures = consecutiveFailures
            self.attempts24h = attempts24h
            self.successes24h = successes24h
        }
    }

    public struct FormState: Sendable {
        public let id: UUID
        public let code: String
        public let lastLeadAt: Date?
        public let leadsLastWeek: Int

        public init(id: UUID, code: String, lastLeadAt: Date?, leadsLastWeek: Int) {
            self.id = id
            self.code = code
            self.lastLeadAt = lastLeadAt
            self.leadsLastWeek = leadsLastWeek
        }
    }

    public let now: Date
    public let crms: [CrmState]
    public let waiting: Int
    public let oldestWaitingAt: Date?
    public let exhaustedLastDay: Int
    /// Active forms.
    public let forms: [FormState]

    public init(
        now: Date, crms: [CrmState], waiting: Int, oldestWaitingAt: Date?, exhaustedLastDay: Int, forms: [FormState]
    ) {
        self.now = now
        self.crms = crms
        self.waiting = waiting
        self.oldestWaitingAt = oldestWaitingAt
        self.exhaustedLastDay = exhaustedLastDay
        self.forms = forms
    }
}

/// The thresholds of the rules.
public struct AlertThresholds: Sendable, Equatable {
    public var consecutiveFailures = 5
    /// Success rate under which a CRM with enough attempts is "failing".
    public var minimumSuccessRate = 0.8
    public var minimumAttemptsForRate = 20
    public var backlog = 500
    public var oldestWaiting: TimeInterval = 30 * 60
    /// An active form that had leads last week and none for this long, in daytime, is "silent".
    public var silentFormHours = 4
    public var daytime = 9..<20

    public init() {}
}

/// The alert rules: every condition that holds in a snapshot. Pure: the service stores them,
/// keeps one open alert per key, and resolves the ones that cleared.
public enum AlertRules {
    public static func evaluate(_ s: AlertSnapshot, thresholds t: AlertThresholds = AlertThresholds())
        -> [AlertCondition]
    {
        var found: [AlertCondition] = []
        for crm in s.crms {
            if crm.authErrorsLastHour > 0 {
                found.append(
                    AlertCondition(
                        key: "crm_auth:\(crm.id.uuidString)", level: .critical, category: "crm_auth",
                        message: "\(crm.name) refuse nos identifiants (erreur 401/403).",
                        details:
                            "\(crm.authErrorsLastHour) livraison(s) refusée(s) pour authentification depuis une heure : vérifiez les jetons des comptes, formulaires ou de redistribution, puis relancez.",
                        crmId: crm.id))
            }
            let rate = crm.attempts24h > 0 ? Double(crm.successes24h) / Double(crm.attempts24h) : 1
            if crm.consecutiveFailures >= t.consecutiveFailures
                || (crm.attempts24h >= t.minimumAttemptsForRate && rate < t.minimumSuccessRate)
            {
                found.append(
                    AlertCondition(
                        key: "crm_failing:\(crm.id.uuidString)", level: .critical, category: "crm_failing",
                        message: "\(crm.name) échoue : les leads s'accumulent en nouvel essai.",
                        details:
                            "\(crm.consecutiveFailures) échec(s) d'affilée ; taux de réussite sur 24 h : \(Int((rate * 100).rounded())) % sur \(crm.attempts24h) tentative(s).",
                        crmId: crm.id))
            }
        }
        if s.waiting >= t.backlog {
            found.append(
                AlertCondition(
                    key: "queue_backlog", level: .warning, category: "queue",
                    message: "File d'attente chargée : \(s.waiting) livraisons en attente.",
                    details: "Seuil : \(t.backlog). Voyez la santé des CRM dans la file d'attente."))
        }
        if let oldest = s.oldestWaitingAt, s.now.timeIntervalSince(oldest) >= t.oldestWaiting {
            let minutes = Int(s.now.timeIntervalSince(oldest) / 60)
            found.append(
                AlertCondition(
                    key: "queue_oldest", level: .warning, category: "queue",
                    message: "Un lead attend sa livraison depuis \(minutes) min.",
                    details: "Seuil : \(Int(t.oldestWaiting / 60)) min."))
        }
        if s.exhaustedLastDay > 0 {
            found.append(
                AlertCondition(
                    key: "deliveries_exhausted", level: .critical, category: "deliveries",
                    message:
                        "\(s.exhaustedLastDay) livraison(s) épuisée(s) depuis 24 h : ces leads ne sont pas arrivés.",
                    details: "Relancez-les depuis la file d'attente une fois le CRM rétabli."))
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = FrenchFormat.parisTimeZone
        if t.daytime.contains(calendar.component(.hour, from: s.now)) {
            for form in s.forms where form.leadsLastWeek > 0 {
                let since = form.lastLeadAt.map { s.now.timeIntervalSince($0) } ?? .infinity
                if since >= Double(t.silentFormHours) * 3_600 {
                    found.append(
                        AlertCondition(
                            key: "form_silent:\(form.id.uuidString)", level: .warning, category: "traffic",
                            message: "Aucun lead sur \(form.code) depuis \(t.silentFormHours) h ou plus.",
                            details:
                                "Le formulaire a reçu \(form.leadsLastWeek) lead(s) ces 7 derniers jours : vérifiez la page, le trafic et l'intégration.",
                            formId: form.id))
                }
            }
        }
        return found
    }
}
