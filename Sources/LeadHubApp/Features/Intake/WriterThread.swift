import Foundation
import LeadHubCore
import Synchronization
import Vapor

/// A submission waiting for the writer.
struct Pending: Sendable {
    let draft: LeadDraft
    let continuation: CheckedContinuation<LeadOutcome, any Error>
}

/// The group commit: one thread that owns the writer's SQLite connection. It sleeps until
/// submissions arrive, takes everything queued (up to `LeadWriter.maxBatch`), commits it in one
/// transaction and answers each submission, then takes what arrived meanwhile. Running the whole
/// cycle on one thread keeps the commit path free of thread hops.
final class WriterThread: @unchecked Sendable {
    private let path: String
    private let logger: Logger
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [Pending] = []
    /// Other writes that run on this connection with the lead batches (tracking events, delivery
    /// claims and settlements).
    private var jobs: [Job] = []
    private var started = false
    private var stopping = false
    private var finished: [CheckedContinuation<Void, Never>] = []
    private var done = false
    // Used only on the writer thread.
    private var store: SQLiteLeadStore?

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        let thread = Thread { [self] in run() }
        thread.name = "leadhub-lead-writer"
        thread.start()
    }

    struct Job: Sendable {
        let body: @Sendable (RawSQLite) throws -> Void
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// Runs `body` on the writer's connection at its next turn, in the same transaction as that
    /// turn's lead batch but in a savepoint of its own (its error undoes it alone); returns after the
    /// commit.
    func perform(_ body: @escaping @Sendable (RawSQLite) throws -> Void) async throws {
        start()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            guard !stopping else {
                condition.unlock()
                continuation.resume(throwing: LeadWriter.storageError)
                return
            }
            jobs.append(Job(body: body, continuation: continuation))
            condition.signal()
            condition.unlock()
        }
    }

    func enqueue(_ item: Pending) {
        condition.lock()
        guard !stopping else {
            // Shutting down: refuse rather than leave the caller waiting (the client retries).
            condition.unlock()
            item.continuation.resume(throwing: LeadWriter.storageError)
            return
        }
        queue.append(item)
        condition.signal()
        condition.unlock()
    }

    /// Commits what is queued, closes the connection and ends the thread.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if done || !started {
                condition.unlock()
                continuation.resume()
                return
            }
            finished.append(continuation)
            stopping = true
            condition.signal()
            condition.unlock()
        }
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && jobs.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && jobs.isEmpty {
                condition.unlock()
                break
            }
            let batch = Array(queue.prefix(LeadWriter.maxBatch))
            queue.removeFirst(batch.count)
            let work = jobs
            jobs = []
            condition.unlock()
            cycle(batch, work)
        }
        store?.close()
        store = nil
        condition.lock()
        done = true
        let waiting = finished
        finished = []
        condition.unlock()
        for continuation in waiting { continuation.resume() }
    }

    /// The lead batch and the other writes in one transaction; if that fails, the leads are
    /// committed apart (one by one if need be) and each other write in a transaction of its own.
    private func cycle(_ batch: [Pending], _ work: [Job]) {
        if work.isEmpty {
            if !batch.isEmpty { commit(batch) }
            return
        }
        do {
            if store == nil { store = try SQLiteLeadStore(path: path) }
            let (outcomes, results) = try store!.cycle(batch.map(\.draft), jobs: work.map(\.body))
            for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(returning: outcome) }
            for (job, error) in zip(work, results) {
                if let error { job.continuation.resume(throwing: error) } else { job.continuation.resume() }
            }
        } catch {
            logger.warning(
                "writer turn not committed, leads and other writes retried apart: \(String(reflecting: error))")
            if !batch.isEmpty { commit(batch) }
            for job in work { perform(job) }
        }
    }

    private func perform(_ job: Job) {
        do {
            if store == nil { store = try SQLiteLeadStore(path: path) }
            try store!.transaction(job.body)
            job.continuation.resume()
        } catch {
            job.continuation.resume(throwing: error)
        }
    }

    private func commit(_ batch: [Pending]) {
        do {
            if store == nil { store = try SQLiteLeadStore(path: path) }
            let outcomes = try store!.commit(batch.map(\.draft))
            for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(returning: outcome) }
        } catch {
            logger.error("lead batch of \(batch.count) not committed: \(String(reflecting: error))")
            if batch.count > 1 {
                // One bad item must not sink the others: commit them one by one.
                for item in batch { commit([item]) }
            } else {
                batch[0].continuation.resume(throwing: LeadWriter.storageError)
            }
        }
    }
}
