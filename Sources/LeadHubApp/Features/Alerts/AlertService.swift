import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Synchronization
import Vapor

/// A system alert of an organization.
final class Alert: Model, @unchecked Sendable {
    static let schema = "alerts"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @Field(key: "key") var key: String
    @Field(key: "level") var level: String
    @Field(key: "category") var category: String
    @Field(key: "message") var message: String
    @Field(key: "details") var details: String
    @Field(key: "first_seen_at") var firstSeenAt: Date
    @Field(key: "last_seen_at") var lastSeenAt: Date
    @Field(key: "count") var count: Int
    @OptionalField(key: "resolved_at") var resolvedAt: Date?
    @OptionalField(key: "resolved_by") var resolvedBy: String?
    /// What it is about (nil: the whole organization).
    @OptionalField(key: "crm_id") var crmId: UUID?
    @OptionalField(key: "account_id") var accountId: UUID?
    @OptionalField(key: "form_id") var formId: UUID?

    init() {}
}

extension Alert: TenantOwned {
    /// A user limited to some CRMs or accounts sees the organization-wide alerts and those about
    /// a CRM or an account they see; never one naming another CRM, account or form.
    static func restrict(_ query: QueryBuilder<Alert>, to scope: TenantScope) -> QueryBuilder<Alert> {
        var restricted = query
        if let crms = scope.visibleCrmIds {
            restricted = restricted.group(.or) { $0.filter(\.$crmId == nil).filter(\.$crmId ~~ Array(crms)) }
        }
        if let accounts = scope.visibleAccountIds {
            restricted = restricted.group(.or) {
                $0.filter(\.$accountId == nil).filter(\.$accountId ~~ Array(accounts))
            }
        }
        return restricted
    }
}

/// Evaluates the alert rules for an organization and keeps the `alerts` table in step: a new row
/// for a condition that starts, `last_seen_at`/`count` for one that lasts, automatic resolution
/// for one that clears.
enum AlertService {
    static let automatic = "automatique"

    static func snapshot(
        organizationId: UUID, breakers: [UUID: (CircuitBreaker.State, Int)], now: Date, on db: any Database
    )
        async throws -> AlertSnapshot
    {
        let crms = try await Crm.query(on: db).filter(\.$organizationId == organizationId).all()
        var states: [AlertSnapshot.CrmState] = []
        for crm in crms {
            let id = crm.id!
            let auth = try await DeliveryAttempt.query(on: db).filter(\.$crmId == id).filter(\.$outcome == "auth_error")
                .filter(\.$startedAt >= now.addingTimeInterval(-3_600)).count()
            let (attempts, successes) = try await DeliveryService.attemptCounts(
                crmId: id, from: now.addingTimeInterval(-86_400), on: db)
            states.append(
                .init(
                    id: id, name: crm.name, authErrorsLastHour: auth, consecutiveFailures: breakers[id]?.1 ?? 0,
                    attempts24h: attempts, successes24h: successes))
        }
        let waitingQuery = Delivery.query(on: db).filter(\.$organizationId == organizationId)
            .filter(\.$statusRaw ~~ ["pending", "retrying"])
        let waiting = try await waitingQuery.copy().count()
        let oldest = try await waitingQuery.copy().sort(\.$createdAt).first()?.createdAt
        let exhausted = try await Delivery.query(on: db).filter(\.$organizationId == organizationId)
            .filter(\.$statusRaw == "exhausted").filter(\.$updatedAt >= now.addingTimeInterval(-86_400)).count()
        let forms = try await Form.query(on: db).filter(\.$organizationId == organizationId)
            .filter(\.$statusRaw == PublicationStatus.active.rawValue).all()
        var formStates: [AlertSnapshot.FormState] = []
        for form in forms {
            let id = form.id!
            let week = try await Lead.query(on: db).filter(\.$formId == id)
                .filter(\.$createdAt >= now.addingTimeInterval(-7 * 86_400)).count()
            guard week > 0 else { continue }
            let last = try await Lead.query(on: db).filter(\.$formId == id).sort(\.$createdAt, .descending).first()?
                .createdAt
            formStates.append(.init(id: id, code: form.code, lastLeadAt: last, leadsLastWeek: week))
        }
        return AlertSnapshot(
            now: now, crms: states, waiting: waiting, oldestWaitingAt: oldest, exhaustedLastDay: exhausted,
            forms: formStates)
    }

    /// Brings the organization's alerts in line with the conditions that hold now.
    @discardableResult
    static func refresh(
        organizationId: UUID, conditions: [AlertCondition], now: Date, on db: any Database
    ) async throws -> [Alert] {
        let open = try await Alert.query(on: db).filter(\.$organizationId == organizationId).filter(
            \.$resolvedAt == nil
        ).all()
        let active = Dictionary(conditions.map { ($0.key, $0) }) { first, _ in first }
        for alert in open {
            if let condition = active[alert.key] {
                alert.lastSeenAt = now
                alert.count += 1
                alert.message = condition.message
                alert.details = condition.details
                alert.level = condition.level.rawValue
                try await alert.save(on: db)
            } else {
                alert.resolvedAt = now
                alert.resolvedBy = automatic
                try await alert.save(on: db)
            }
        }
        let openKeys = Set(open.map(\.key))
        var opened: [Alert] = []
        // A form's alert is about its account and that account's CRM too.
        let formIds = conditions.compactMap(\.formId)
        var formSubjects: [UUID: (account: UUID, crm: UUID)] = [:]
        if !formIds.isEmpty {
            let forms = try await Form.query(on: db).filter(\.$id ~~ formIds).all()
            let accounts = try await Account.query(on: db).filter(\.$id ~~ forms.map(\.accountId)).all()
            for form in forms {
                if let account = accounts.first(where: { $0.id == form.accountId }) {
                    formSubjects[form.id!] = (form.accountId, account.crmId)
                }
            }
        }
        for condition in conditions where !openKeys.contains(condition.key) {
            let alert = Alert()
            alert.formId = condition.formId
            alert.accountId = condition.formId.flatMap { formSubjects[$0]?.account }
            alert.crmId = condition.crmId ?? condition.formId.flatMap { formSubjects[$0]?.crm }
            alert.organizationId = organizationId
            alert.key = condition.key
            alert.level = condition.level.rawValue
            alert.category = condition.category
            alert.message = condition.message
            alert.details = condition.details
            alert.firstSeenAt = now
            alert.lastSeenAt = now
            alert.count = 1
            do {
                try await alert.create(on: db)
            } catch let error as any DatabaseError where error.isConstraintFailure {
                // Another server opened it a moment ago (one open alert per condition): not ours to announce.
                continue
            }
            opened.append(alert)
        }
        return opened
    }

    static func evaluate(organizationId: UUID, app: Application) async throws {
        let now = app.clock.now()
        let snapshot = try await snapshot(
            organizationId: organizationId, breakers: app.deliveryWorker.breakerStates(now: now), now: now, on: app.db)
        let opened = try await refresh(
            organizationId: organizationId, conditions: AlertRules.evaluate(snapshot), now: now, on: app.db)
        await NotificationService.alertsOpened(opened, organizationId: organizationId, app: app)
    }

    static func evaluateAll(app: Application) async throws {
        for organization in try await Organization.query(on: app.db).all() {
            try await evaluate(organizationId: organization.requireID(), app: app)
        }
    }

    /// A person closes an alert; if its condition still holds, the next evaluation opens a new one.
    static func resolve(_ id: UUID?, scope: TenantScope, now: Date, on db: any Database) async throws -> Alert {
        try scope.require(.edit)
        let alert = try await scope.find(Alert.self, id, on: db)
        guard alert.resolvedAt == nil else { return alert }
        alert.resolvedAt = now
        alert.resolvedBy = scope.userEmail
        try await db.transaction { tx in
            try await alert.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "alert", objectId: alert.id, summary: "Alerte résolue : \(alert.message)",
                scope: scope,
                at: now, on: tx)
        }
        return alert
    }

    static func openCount(scope: TenantScope, on db: any Database) async throws -> Int {
        try await scope.query(Alert.self, on: db).filter(\.$resolvedAt == nil).count()
    }
}

/// The background loop of the periodic jobs: every organization's alerts once a minute
/// (`LEADHUB_ALERT_INTERVAL` seconds, and at once when the delivery worker meets an authentication
/// error), the summary e-mails that are due, and the retention of raw tracking events (hourly).
///
/// Several processes may share one PostgreSQL: each job has one owner per run (`JobLeases`). The
/// alerts and the summaries stay with the process that holds their lease while it renews it every
/// turn; another takes over `leaseTurns` turns after it stops renewing (or at once after a clean
/// stop). Retention runs once an hour across the cluster, whoever runs it.
final class AlertMonitor: Sendable {
    static let alertsJob = "alert-monitor"
    static let summariesJob = "summary-emails"
    static let retentionJob = "event-retention"
    static let formSessionsJob = "form-sessions"
    /// Turns without renewal after which another process takes a sticky job over.
    static let leaseTurns = 3.0

    private let app: Application
    private let signal: WakeSignal
    private let task = Mutex<Task<Void, Never>?>(nil)
    let leases: JobLeases

    init(app: Application, leases: JobLeases = JobLeases()) {
        self.app = app
        self.leases = leases
        signal = WakeSignal(eventLoop: app.eventLoopGroup.any())
    }

    func poke() { signal.signal() }

    /// One turn of the loop: each job this process owns (or can claim) now. Returns the jobs run.
    @discardableResult
    func runOnce(interval: TimeInterval) async -> [String] {
        let sql = app.db as! any SQLDatabase
        let lease = max(interval * Self.leaseTurns, 30)
        let jobs:
            [(name: String, kind: JobLeases.Kind, lease: TimeInterval, what: String, run: () async throws -> Void)] = [
                (
                    Self.alertsJob, .sticky, lease, "alert evaluation",
                    { try await AlertService.evaluateAll(app: self.app) }
                ),
                (
                    Self.summariesJob, .sticky, lease, "summary e-mails",
                    { try await SummaryService.sendDue(app: self.app) }
                ),
                (
                    Self.retentionJob, .onceUntilExpiry, EventRetention.every, "tracking events retention",
                    { _ = try await EventRetention.purge(app: self.app, now: self.app.clock.now()) }
                ),
                (
                    Self.formSessionsJob, .onceUntilExpiry, 300, "hosted form sessions (abandoned, 30-day purge)",
                    { _ = try await HostedFormService.cleanUp(app: self.app, now: self.app.clock.now()) }
                ),
            ]
        var ran: [String] = []
        for job in jobs {
            do {
                guard try await leases.claim(job.name, kind: job.kind, for: job.lease, now: app.clock.now(), on: sql)
                else { continue }
            } catch {
                app.logger.warning("job lease \(job.name) could not be claimed: \(String(reflecting: error))")
                continue
            }
            ran.append(job.name)
            do {
                try await job.run()
            } catch {
                app.logger.warning("\(job.what) failed: \(String(reflecting: error))")
            }
        }
        return ran
    }

    func start(interval: TimeInterval) {
        task.withLock { task in
            guard task == nil else { return }
            task = Task.detached { [self] in
                while !Task.isCancelled {
                    await runOnce(interval: interval)
                    await signal.wait(timeout: .milliseconds(Int64(interval * 1000)))
                }
            }
        }
    }

    func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        signal.signal()
        await running?.value
        guard running != nil else { return }
        do {
            try await leases.release([Self.alertsJob, Self.summariesJob], on: app.db as! any SQLDatabase)
        } catch {
            app.logger.warning("job leases not released (they expire by themselves): \(error)")
        }
    }
}

extension Application {
    private struct AlertMonitorKey: StorageKey { typealias Value = AlertMonitor }

    var alertMonitor: AlertMonitor {
        get {
            guard let monitor = storage[AlertMonitorKey.self] else {
                fatalError("AlertMonitor is set up in configure()")
            }
            return monitor
        }
        set { storage[AlertMonitorKey.self] = newValue }
    }
}

struct AlertMonitorLifecycle: LifecycleHandler {
    func didBoot(_ application: Application) throws {
        guard application.config.deliveryWorkers else { return }
        application.alertMonitor.start(interval: application.config.alertInterval)
    }

    func shutdownAsync(_ application: Application) async {
        await application.alertMonitor.stop()
    }
}
