import Fluent
import Foundation
import LeadHubCore
import Synchronization
import Vapor

/// A CRM's circuit breaker: after `threshold` failures in a row its deliveries pause for
/// `cooldown`, then one probe decides (a success closes it, a failure opens it again).
struct CircuitBreaker: Sendable, Equatable {
    enum State: String, Sendable { case closed, open, halfOpen = "half_open" }

    var consecutiveFailures = 0
    var openUntil: Date? = nil

    func state(at now: Date) -> State {
        guard let openUntil else { return .closed }
        return now < openUntil ? .open : .halfOpen
    }

    mutating func record(success: Bool, now: Date, threshold: Int, cooldown: TimeInterval) {
        if success {
            consecutiveFailures = 0
            openUntil = nil
        } else {
            consecutiveFailures += 1
            if consecutiveFailures >= threshold || openUntil != nil { openUntil = now.addingTimeInterval(cooldown) }
        }
    }
}

/// Sends the outbox in the background: claims due deliveries with a lease, sends them (at most
/// `deliveryConcurrencyPerCrm` at once per CRM, none to a CRM whose breaker is open), settles each
/// attempt. Woken by the lead writer after each commit, and polls every half second otherwise.
/// Tests drive it with `runOnce()`.
final class DeliveryWorker: Sendable {
    let owner = "worker-" + UUID().uuidString.prefix(8).lowercased()
    private let app: Application
    private let breakers = Mutex<[UUID: CircuitBreaker]>([:])
    private let inFlight = Mutex<[UUID: Int]>([:])
    private let wakeSignal: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let loop = Mutex<Task<Void, Never>?>(nil)
    private let stopping = Atomic<Bool>(false)
    static let maxInFlight = 256
    static let batch = 64

    init(app: Application) {
        self.app = app
        (wakes, wakeSignal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    private var config: AppConfig { app.config }
    private var lease: TimeInterval { config.deliveryTimeout + config.deliveryLeaseMargin }

    /// There may be work: look now rather than at the next poll.
    func wake() {
        wakeSignal.yield(())
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
        wakeSignal.yield(())
        let task = loop.withLock { $0 }
        await task?.value
    }

    private func run() async {
        await withDiscardingTaskGroup { group in
            while !stopping.load(ordering: .relaxed) {
                var started = 0
                do {
                    let jobs = try await claimJobs()
                    for job in jobs {
                        group.addTask { [self] in
                            await process(job)
                            wake()
                        }
                    }
                    started = jobs.count
                } catch {
                    app.logger.error("delivery claim failed: \(String(reflecting: error))")
                }
                if started == 0 {
                    await waitForWork(timeout: .milliseconds(500))
                }
            }
        }
    }

    private func waitForWork(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [wakes] in
                for await _ in wakes { return }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Claims, sends and settles what is due now, and waits for those attempts; returns how many
    /// attempts were made. For tests and tools: the background loop does the same continuously.
    @discardableResult
    func runOnce() async throws -> Int {
        let jobs = try await claimJobs()
        await withTaskGroup(of: Void.self) { group in
            for job in jobs { group.addTask { [self] in await process(job) } }
        }
        return jobs.count
    }

    /// Claims what the CRMs can take now and registers it as in flight.
    private func claimJobs() async throws -> [DeliveryService.Job] {
        let now = app.clock.now()
        let perCrm = config.deliveryConcurrencyPerCrm
        let (excluded, free) = inFlight.withLock { flying -> (Set<UUID>, Int) in
            let states = breakers.withLock { $0 }
            var excluded = Set<UUID>()
            for (crm, count) in flying where count >= perCrm { excluded.insert(crm) }
            for (crm, breaker) in states {
                switch breaker.state(at: now) {
                case .open: excluded.insert(crm)
                case .halfOpen where (flying[crm] ?? 0) > 0: excluded.insert(crm)
                default: break
                }
            }
            return (excluded, Self.maxInFlight - flying.values.reduce(0, +))
        }
        let ids = try await DeliveryService.claim(
            limit: min(Self.batch, free), owner: owner, lease: lease, excluding: excluded, now: now, on: app.db)
        guard !ids.isEmpty else { return [] }
        let jobs = try await DeliveryService.jobs(ids, secrets: app.secretBox, timeout: config.deliveryTimeout, on: app.db)
        // Keep what each CRM may take at once (one probe when its breaker is half open); give the rest back.
        var kept: [DeliveryService.Job] = []
        var returned: [UUID] = Set(ids).subtracting(jobs.map(\.deliveryId)).map { $0 }
        inFlight.withLock { flying in
            let states = breakers.withLock { $0 }
            for job in jobs {
                let limit = states[job.crmId]?.state(at: now) == .halfOpen ? 1 : perCrm
                if (flying[job.crmId] ?? 0) < limit {
                    flying[job.crmId, default: 0] += 1
                    kept.append(job)
                } else {
                    returned.append(job.deliveryId)
                }
            }
        }
        try await DeliveryService.release(returned, owner: owner, on: app.db)
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
            job: job, outcome: outcome, httpStatus: status, excerpt: excerpt, startedAt: started, durationMs: durationMs)
        for attempt in 1...5 {
            do {
                try await DeliveryService.settle(
                    settlement, owner: owner, schedule: config.retrySchedule, jitter: Double.random(in: 0..<1),
                    now: app.clock.now(), on: app.db)
                return
            } catch {
                // The database was busy or gone for a moment: the lease keeps the delivery ours.
                app.logger.warning("delivery \(job.deliveryId) not settled (try \(attempt)): \(String(reflecting: error))")
                try? await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }
}

extension Application {
    private struct DeliveryWorkerKey: StorageKey { typealias Value = DeliveryWorker }

    var deliveryWorker: DeliveryWorker {
        get {
            guard let worker = storage[DeliveryWorkerKey.self] else { fatalError("DeliveryWorker is set up in configure()") }
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
