import Foundation
import LeadHubCore
import SQLKit
import Synchronization
import Vapor

/// Counts the first version's calls per organization, hour, call and page code in memory and
/// adds them to `v1_calls` every few seconds (and on shutdown), so that the settings page can
/// say which live pages still need a new brief. Live pages call at intake rates: one counter
/// increment per call, no write on the hot path. A kill -9 loses at most the last seconds'
/// counts — never a lead or an event.
final class V1CallCounter: Sendable {
    struct Key: Hashable, Sendable {
        let organizationId: UUID
        let hour: Int
        let endpoint: V1Compat.Endpoint
        let pageCode: String
    }

    struct Tally: Sendable {
        var calls: Int
        var last: Date
    }

    static let flushInterval: Duration = .seconds(10)

    private let pending = Mutex<[Key: Tally]>([:])
    private let task = Mutex<Task<Void, Never>?>(nil)

    func record(_ endpoint: V1Compat.Endpoint, organizationId: UUID, pageCode: String?, at now: Date) {
        let key = Key(
            organizationId: organizationId, hour: StatsHour.bucket(now), endpoint: endpoint,
            pageCode: String((pageCode ?? "").prefix(40)))
        pending.withLock { pending in
            if pending.count > 100_000 { return }  // a flood of made-up codes: stop counting, keep answering
            pending[key, default: Tally(calls: 0, last: now)].calls += 1
            pending[key]!.last = max(pending[key]!.last, now)
        }
    }

    /// Adds what was counted since the last flush to `v1_calls`; kept for the next flush on failure.
    func flush(on sql: any SQLDatabase, logger: Logger) async {
        let taken = pending.withLock { pending -> [Key: Tally] in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !taken.isEmpty else { return }
        var rows: [String: (Key, String, Tally)] = [:]
        for (key, tally) in taken {
            let day = ParisDay.text(StatsHour.start(key.hour))
            let id = "\(key.organizationId)|\(day)|\(key.endpoint.rawValue)|\(key.pageCode)"
            if var row = rows[id] {
                row.2.calls += tally.calls
                row.2.last = max(row.2.last, tally.last)
                rows[id] = row
            } else {
                rows[id] = (key, day, tally)
            }
        }
        do {
            for chunk in Array(rows.values).chunked(100) {
                var query = "INSERT INTO v1_calls (organization_id, day, endpoint, page_code, calls, last_at) VALUES "
                var binds: [any Encodable & Sendable] = []
                query += chunk.map { _ in "(?, ?, ?, ?, ?, ?)" }.joined(separator: ", ")
                for (key, day, tally) in chunk {
                    binds += [key.organizationId, day, key.endpoint.rawValue, key.pageCode, tally.calls, tally.last]
                }
                query += " ON CONFLICT (organization_id, day, endpoint, page_code) DO UPDATE SET"
                query += " calls = v1_calls.calls + excluded.calls,"
                query +=
                    " last_at = CASE WHEN excluded.last_at > v1_calls.last_at THEN excluded.last_at ELSE v1_calls.last_at END"
                try await sql.execute(sql: V1SQL.numbered(query, binds: binds), { _ in })
            }
        } catch {
            logger.warning("Comptage des appels de la première version : écriture différée (\(error))")
            pending.withLock { pending in
                for (key, tally) in taken {
                    pending[key, default: Tally(calls: 0, last: tally.last)].calls += tally.calls
                }
            }
        }
    }

    func start(_ app: Application) {
        let sql = app.db as! any SQLDatabase
        let logger = app.logger
        task.withLock { task in
            task = Task { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.flushInterval)
                    await flush(on: sql, logger: logger)
                }
            }
        }
    }

    func stop(_ app: Application) async {
        let running = task.withLock { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
        await flush(on: app.db as! any SQLDatabase, logger: app.logger)
    }
}

/// Raw SQL with `?` placeholders, numbered for PostgreSQL (`$1`…), with its binds.
enum V1SQL {
    static func numbered(_ text: String, binds: [any Encodable & Sendable]) -> SQLQueryString {
        var query = SQLQueryString("")
        var parts = text.split(separator: "?", omittingEmptySubsequences: false).map(String.init)
        let first = parts.removeFirst()
        query.appendLiteral(first)
        for (index, part) in parts.enumerated() {
            query.appendInterpolation(bind: binds[index])
            query.appendLiteral(part)
        }
        return query
    }
}

extension Application {
    private struct V1CallCounterKey: StorageKey { typealias Value = V1CallCounter }

    var v1CallCounter: V1CallCounter {
        if let counter = storage[V1CallCounterKey.self] { return counter }
        let counter = V1CallCounter()
        storage[V1CallCounterKey.self] = counter
        return counter
    }
}

struct V1CallCounterLifecycle: LifecycleHandler {
    func didBoot(_ application: Application) throws {
        application.v1CallCounter.start(application)
    }

    func shutdownAsync(_ application: Application) async {
        await application.v1CallCounter.stop(application)
    }
}
