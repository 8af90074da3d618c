import Fluent
import NIOCore
import Foundation
import LeadHubCore
import Synchronization
import Vapor

/// Sends the outbox in the background: claims due deliveries with a lease, sends them (at most
/// `deliveryConcurrencyPerCrm` at once per CRM, none to a CRM whose breaker is open), settles each
/// attempt. Woken by the lead writer after each commit, and polls every half second otherwise.
/// Tests drive it with `runOnce()`.
final class DeliveryWorker: Sendable {
    let owner = "worker-" + UUID().uuidString.prefix(8).lowercased()
    private let app: Application
    private let breakers = Mutex<[UUID: CircuitBreaker]>([:])
    private let inFlight = Mutex<[UUID: Int]>([:])
    /// CRMs whose last claim found due deliveries.
    private let dueCrms = Mutex<Set<UUID>>([])
    private let lastDiscovery = Mutex<ContinuousClock.Instant>(.now)
    private let wakeSignal: WakeSignal
    private let loop = Mutex<Task<Void, Never>?>(nil)
    private let stopping = Atomic<Bool>(false)
    /// Attempts made and not yet stored: written in batches, one transaction each.
    private let settlements = Mutex<[DeliveryService.Settlement]>([])
    static let maxInFlight = 256
    static let batch = 64

    init(app: Application) {
        self.app = app
        wakeSignal = WakeSignal(eventLoop: app.eventLoopGroup.any())
    }

    private var config: AppConfig { app.config }
    private var lease: TimeInterval { config.deliveryTimeout + config.deliveryLeaseMargin }

    /// There may be work: look now rather than at the next poll.
    func wake() {
        wakeSignal.signal()
    }

    func breakerStates(now: Date) -> [UUID: (CircuitBreaker.State, Int)] {
        breakers.withLock { $0.mapValues { ($0.state(at: now), $0.consecutiveFailures) } }
    }

    func start() {
        guard config.deliveryWorkers else { return }
        loop.withLock { task in
            guard task == nil else { return }
            task = Task.detached { [self] in await run() }
        }
    }

    func stop() async {
        stopping.store(true, ordering: .relaxed)
        wakeSignal.signal()
        let task = loop.withLock { $0 }
        await task?.value
        await flushSettlements()
    }

    /// Stores the attempts made so far, in batches of up to 500 per transaction.
    func flushSettlements() async {
        while true {
            let batch = settlements.withLock { pending -> [DeliveryService.Settlement] in
                let taken = Array(pending.prefix(500))
                pending.removeFirst(taken.count)
                return taken
            }
            if batch.isEmpty { return }
            for attempt in 1...5 {
                do {
                    try await DeliveryService.settleBatch(
                        batch, owner: owner, schedule: config.retrySchedule, now: app.clock.now(), app: app)
                    // A CRM refusing our credentials is alerted at once, not at the next minute.
                    if batch.contains(where: { if case .authError = $0.outcome { return true } else { return false } })
                    {
                        app.alertMonitor.poke()
                    }
                    break
                } catch {
                    // The database was busy or gone for a moment: the leases keep these deliveries
                    // ours; after five failures they expire and the deliveries are sent again.
                    app.logger.warning(
                        "\(batch.count) delivery attempt(s) not stored (try \(attempt)): \(String(reflecting: error))")
                    try? await Task.sleep(for: .milliseconds(200 * attempt))
                }
            }
        }
    }

    private func run() async {
        await withDiscardingTaskGroup { group in
            while !stopping.load(ordering: .relaxed) {
                var started = 0
                // Settling and claiming take turns in this one loop: two writers of one process
                // would otherwise wait on each other in SQLite's busy handler (sleeps of milliseconds).
                await flushSettlements()
                do {
                    let jobs = try await claimJobs()
                    for job in jobs {
                        group.addTask { [self] in
                            await process(job)
                            // Wake the loop for a batch worth storing, not for every attempt: each
                            // flush is a transaction (and an fsync on SQLite).
                            let (done, flying) = (
                                settlements.withLock { $0.count }, inFlight.withLock { $0.values.reduce(0, +) }
                            )
                            if done >= 32 || flying <= done { wake() }
                        }
                    }
                    started = jobs.count
                } catch {
                    app.logger.error("delivery claim failed: \(String(reflecting: error))")
                }
                if started == 0 {
                    // Attempts in flight: look again soon to store their outcomes in batches.
                    let busy = inFlight.withLock { $0.values.reduce(0, +) } > 0
                    await waitForWork(timeout: .milliseconds(busy ? 20 : 500))
                }
            }
        }
    }

    private func waitForWork(timeout: TimeAmount) async {
        await wakeSignal.wait(timeout: timeout)
    }

    /// Claims, sends and settles what is due now, and waits for those attempts; returns how many
    /// attempts were made. For tests and tools: the background loop does the same continuously.
    @discardableResult
    func runOnce() async throws -> Int {
        let jobs = try await claimJobs(discover: true)
        await withTaskGroup(of: Void.self) { group in
            for job in jobs { group.addTask { [self] in await process(job) } }
        }
        await flushSettlements()
        return jobs.count
    }

    /// Claims what the CRMs can take now and registers it as in flight. CRMs known to have due
    /// deliveries are claimed one by one, each for as many as it can take (so a busy CRM is not
    /// over-claimed and given back); a general claim, every quarter second or when nothing is
    /// known, finds the CRMs with new work.
    private func claimJobs(discover force: Bool = false) async throws -> [DeliveryService.Job] {
        let now = app.clock.now()
        let perCrm = config.deliveryConcurrencyPerCrm
        let states = breakers.withLock { $0 }
        func limit(_ crm: UUID) -> Int { states[crm]?.state(at: now) == .halfOpen ? 1 : perCrm }
        let (excluded, free, targets) = inFlight.withLock { flying -> (Set<UUID>, Int, [(UUID, Int)]) in
            var excluded = Set<UUID>()
            for (crm, count) in flying where count >= perCrm { excluded.insert(crm) }
            for (crm, breaker) in states {
                switch breaker.state(at: now) {
                case .open: excluded.insert(crm)
                case .halfOpen where (flying[crm] ?? 0) > 0: excluded.insert(crm)
                default: break
                }
            }
            let targets = dueCrms.withLock { $0 }.compactMap { crm -> (UUID, Int)? in
                guard !excluded.contains(crm) else { return nil }
                let room = limit(crm) - (flying[crm] ?? 0)
                // Wait for a quarter of the CRM's slots to free up: fewer, fuller claims.
                return room >= max(1, limit(crm) / 4) ? (crm, room) : nil
            }
            return (excluded, Self.maxInFlight - flying.values.reduce(0, +), targets)
        }
        guard free > 0 else { return [] }
        var ids: [UUID] = []
        for (crm, room) in targets {
            let wanted = min(room, Self.batch, free - ids.count)
            guard wanted > 0 else { break }
            let claimed = try await DeliveryService.claim(
                limit: wanted, owner: owner, lease: lease, excluding: [], crmId: crm, now: now, app: app)
            if claimed.count < wanted { _ = dueCrms.withLock { $0.remove(crm) } }
            ids += claimed
        }
        let tick = ContinuousClock.now
        let discover =
            force || dueCrms.withLock { $0.isEmpty }
            || lastDiscovery.withLock { tick - $0 > .milliseconds(250) }
        if discover, free - ids.count > 0 {
            lastDiscovery.withLock { $0 = tick }
            let known = dueCrms.withLock { $0 }
            ids += try await DeliveryService.claim(
                limit: min(Self.batch, free - ids.count), owner: owner, lease: lease, excluding: excluded.union(known),
                crmId: nil, now: now, app: app)
        }
        guard !ids.isEmpty else { return [] }
        let jobs = try await DeliveryService.jobs(
            ids, secrets: app.secretBox, timeout: config.deliveryTimeout, on: app.db)
        dueCrms.withLock { $0.formUnion(jobs.map(\.crmId)) }
        // Keep what each CRM may take at once (one probe when its breaker is half open); give the rest back.
        var kept: [DeliveryService.Job] = []
        var returned: [UUID] = Set(ids).subtracting(jobs.map(\.deliveryId)).map { $0 }
        inFlight.withLock { flying in
            for job in jobs {
                if (flying[job.crmId] ?? 0) < limit(job.crmId) {
                    flying[job.crmId, default: 0] += 1
                    kept.append(job)
                } else {
                    returned.append(job.deliveryId)
                }
            }
        }
        try await DeliveryService.release(returned, owner: owner, app: app)
        return kept
    }

    private func process(_ job: DeliveryService.Job) async {
        defer { inFlight.withLock { $0[job.crmId, default: 1] -= 1 } }
        let started = app.clock.now()
        let clock = ContinuousClock()
        let begin = clock.now
        var outcome: DeliveryOutcome
        var status: Int? = nil
        var excerpt = ""
        if let problem = job.problem {
            outcome = problem
            excerpt = "non envoyé"
        } else if let request = job.request {
            (outcome, status, excerpt) = DeliveryService.outcome(of: await app.crmTransport.send(request))
        } else {
            return
        }
        let elapsed = clock.now - begin
        let durationMs = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        if job.problem == nil {
            var success = true
            if case .retryable = outcome { success = false }
            breakers.withLock {
                $0[job.crmId, default: CircuitBreaker()].record(
                    success: success, now: app.clock.now(), threshold: config.breakerThreshold,
                    cooldown: config.breakerCooldown)
            }
        }
        let settlement = DeliveryService.Settlement(
            job: job, outcome: outcome, httpStatus: status, excerpt: excerpt, startedAt: started, durationMs: durationMs
        )
        settlements.withLock { $0.append(settlement) }
    }
}

extension Application {
    private struct DeliveryWorkerKey: StorageKey { typealias Value = DeliveryWorker }

    var deliveryWorker: DeliveryWorker {
        get {
            guard let worker = storage[DeliveryWorkerKey.self] else {
                fatalError("DeliveryWorker is set up in configure()")
            }
            return worker
        }
        set { storage[DeliveryWorkerKey.self] = newValue }
    }
}

/// Starts the delivery workers with the server and stops them on shutdown.
struct DeliveryWorkerLifecycle: LifecycleHandler {
    func didBoot(_ application: Application) throws {
        application.deliveryWorker.start()
    }

    func shutdownAsync(_ application: Application) async {
        await application.deliveryWorker.stop()
    }
}
