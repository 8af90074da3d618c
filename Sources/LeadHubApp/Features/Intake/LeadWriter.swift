import Fluent
import Foundation
import LeadHubCore
import FluentSQLiteDriver
import SQLKit
import Synchronization
import Vapor

/// Stores leads durably. On SQLite, one writer task gathers the submissions that arrive while the
/// previous commit is being fsync'd and commits them together (group commit): every lead is on
/// disk before its answer, and durability does not cost throughput. On PostgreSQL each lead has
/// its own transaction, serialized per phone number by an advisory lock.
final class LeadWriter: Sendable {
    static let maxBatch = 512

    private let app: Application
    private let writer: WriterThread
    private let inFlightKeys = Mutex<Set<String>>([])
    private let checkpointer = Mutex<Task<Void, Never>?>(nil)
    /// Leads committed since the last checkpoint.
    private let uncheckpointed = Atomic<Int>(0)

    init(app: Application) {
        self.app = app
        writer = WriterThread(path: app.config.sqlitePath, logger: app.logger)
    }

    var usesGroupCommit: Bool { !app.config.usesPostgres }

    /// Stores one lead and returns once it is committed (or known to be a replay).
    func submit(_ draft: LeadDraft) async throws -> LeadOutcome {
        let flightKey = draft.idempotencyKey.map { draft.organizationId.text + "|" + $0 }
        if let flightKey {
            let claimed = inFlightKeys.withLock { $0.insert(flightKey).inserted }
            guard claimed else {
                throw AppError.conflict(
                    field: nil, message: "Une requête avec la même clé d'idempotence est en cours de traitement.")
            }
        }
        defer { if let flightKey { _ = inFlightKeys.withLock { $0.remove(flightKey) } } }

        let outcome: LeadOutcome
        if usesGroupCommit {
            start()
            outcome = try await withCheckedThrowingContinuation { continuation in
                writer.enqueue(Pending(draft: draft, continuation: continuation))
            }
            uncheckpointed.add(1, ordering: .relaxed)
        } else {
            outcome = try await storeAlone(draft)
        }
        // A new delivery may be waiting: the worker looks at once instead of at its next poll.
        if case .stored = outcome { app.deliveryWorker.wake() }
        return outcome
    }

    /// Runs a write of another kind on the lead writer's own SQLite connection, with the next lead
    /// batch (in the same transaction, in a savepoint of its own; SQLite only: one writer, no waiting
    /// in the busy handler).
    func perform(_ body: @escaping @Sendable (RawSQLite) throws -> Void) async throws {
        precondition(usesGroupCommit)
        start()
        try await writer.perform(body)
    }

    /// Starts the writer thread and the checkpoints (SQLite only).
    func start() {
        guard usesGroupCommit else { return }
        writer.start()
        checkpointer.withLock { task in
            guard task == nil else { return }
            task = Task.detached { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(500))
                    await checkpoint()
                }
            }
        }
    }

    /// Copies the WAL into the database file from a pool connection, outside the writer's
    /// commits. PASSIVE: it never blocks the writer; what it could not copy is copied next time.
    func checkpoint() async {
        guard uncheckpointed.exchange(0, ordering: .relaxed) > 0 else { return }
        do {
            try await (app.db as! any SQLDatabase).raw("PRAGMA wal_checkpoint(PASSIVE)").run()
        } catch {
            app.logger.warning("WAL checkpoint failed: \(String(reflecting: error))")
        }
    }

    /// Commits what is queued and stops the writer thread.
    func stop() async {
        await writer.stop()
        let checkpoints = checkpointer.withLock { $0 }
        checkpoints?.cancel()
        await checkpoints?.value
    }

    static let storageError = Abort(
        .serviceUnavailable, headers: ["Retry-After": "5"],
        reason: "Le lead n'a pas pu être enregistré. Réessayez dans quelques secondes.")

    private func storeAlone(_ draft: LeadDraft) async throws -> LeadOutcome {
        for attempt in 1...3 {
            do {
                return try await app.db.transaction { tx in
                    let sql = tx as! any SQLDatabase
                    // Serialize the submissions of an organization across servers: duplicate and
                    // double-submit detection see each other, and routing counters cannot be overrun.
                    try await sql.raw(
                        "SELECT pg_advisory_xact_lock(hashtext(\(bind: "routing:" + draft.organizationId.text)))"
                    ).run()
                    return try await Self.store([draft], on: sql)[0]
                }
            } catch let error as any DatabaseError where error.isConstraintFailure && attempt < 3 {
                // A concurrent request with the same idempotency key committed first: look again.
                continue
            } catch let error as AppError {
                throw error
            } catch {
                app.logger.error("lead not committed: \(String(reflecting: error))")
                throw Self.storageError
            }
        }
        throw Self.storageError
    }

}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}

extension Application {
    private struct LeadWriterKey: StorageKey { typealias Value = LeadWriter }

    var leadWriter: LeadWriter {
        get {
            guard let writer = storage[LeadWriterKey.self] else { fatalError("LeadWriter is set up in configure()") }
            return writer
        }
        set { storage[LeadWriterKey.self] = newValue }
    }
}

/// Starts the lead writer with the server and drains it on shutdown.
struct LeadWriterLifecycle: LifecycleHandler {
    func didBoot(_ application: Application) throws {
        application.leadWriter.start()
    }

    func shutdownAsync(_ application: Application) async {
        await application.leadWriter.stop()
    }
}
