import Fluent
import NIOCore
import Foundation
import LeadHubCore
import SQLKit
import SQLiteNIO
import Synchronization
import Vapor

/// Buffered ingestion of tracking events: requests append to a bounded in-memory buffer and are
/// answered 202 at once; every `flushInterval` (or sooner when a batch is worth it) the buffer is
/// written in one transaction — raw events as multi-row inserts, and the hourly aggregates as
/// upserts. A full buffer refuses new events (503) instead of growing; a clean shutdown flushes
/// it. A kill -9 loses at most what was buffered and not yet written (under `flushInterval`).
final class EventIngest: Sendable {
    /// One accepted event with the page and form it resolved to.
    struct Item: Sendable {
        let organizationId: UUID
        let event: TrackingEvent
        let lpId: UUID?
        let formId: UUID?
        let stats: StatsIncrements.HourKey
        let receivedAt: Date
    }

    static let capacity = 100_000
    static let flushInterval: TimeAmount = .milliseconds(200)
    /// A flush starts early once this many events wait.
    static let eagerBatch = 2_000

    private let app: Application
    private let buffer = Mutex<[Item]>([])
    private let signal: WakeSignal
    private let loop = Mutex<Task<Void, Never>?>(nil)
    private let stopping = Atomic<Bool>(false)
    /// One flush at a time: a caller's flush returns only when what it saw buffered is written.
    private let flushing = AsyncGate()
    /// Events written and dropped since start (for /metrics and tests).
    let written = Atomic<Int>(0)

    init(app: Application) {
        self.app = app
        signal = WakeSignal(eventLoop: app.eventLoopGroup.any())
    }

    /// Adds events; false (and nothing added) when the buffer cannot take them all.
    func accept(_ items: [Item]) -> Bool {
        let (ok, size) = buffer.withLock { buffer -> (Bool, Int) in
            guard buffer.count + items.count <= Self.capacity else { return (false, buffer.count) }
            buffer.append(contentsOf: items)
            return (true, buffer.count)
        }
        if ok, size >= Self.eagerBatch { signal.signal() }
        return ok
    }

    var buffered: Int { buffer.withLock { $0.count } }

    func start() {
        loop.withLock { task in
            guard task == nil else { return }
            task = Task.detached { [self] in
                while !stopping.load(ordering: .relaxed) {
                    await signal.wait(timeout: Self.flushInterval)
                    await flush()
                }
            }
        }
    }

    func stop() async {
        stopping.store(true, ordering: .relaxed)
        signal.signal()
        let task = loop.withLock { $0 }
        await task?.value
        await flush()
    }

    /// Writes everything buffered now. On a database error the events go back to the front of
    /// the buffer (if there is room) and are tried again at the next flush.
    func flush() async {
        await flushing.lock()
        defer { flushing.unlock() }
        while true {
            let batch = buffer.withLock { buffer -> [Item] in
                let taken = Array(buffer.prefix(5_000))
                buffer.removeFirst(taken.count)
                return taken
            }
            if batch.isEmpty { return }
            do {
                if app.leadWriter.usesGroupCommit {
                    try await app.leadWriter.perform { database in try Self.write(batch, on: database) }
                } else {
                    try await Self.write(batch, on: app.db)
                }
                written.add(batch.count, ordering: .relaxed)
            } catch {
                app.logger.warning("\(batch.count) tracking event(s) not written: \(String(reflecting: error))")
                buffer.withLock { buffer in
                    if buffer.count + batch.count <= Self.capacity { buffer.insert(contentsOf: batch, at: 0) }
                }
                return
            }
        }
    }

    static let columns = [
        "id", "organization_id", "type", "lp_id", "form_id", "visitor_id", "session_id", "url", "referrer",
        "utm_source",
        "utm_medium", "utm_campaign", "utm_content", "utm_term", "gclid", "fbclid", "step", "created_at",
        "step_id",
    ]

    static func increments(_ items: [Item]) -> StatsIncrements {
        var stats = StatsIncrements()
        for item in items {
            switch item.event.type {
            case .lpVisit: stats.add(.visits, item.stats)
            case .ctaClick: stats.add(.ctaClicks, item.stats)
            case .formStart: stats.add(.formStarts, item.stats)
            case .formStep: stats.add(.formSteps, item.stats)
            }
        }
        return stats
    }

    /// Rows per INSERT on the lead writer's connection: one statement step for many rows.
    static let rowsPerInsert = 25

    static func insertSQL(rows: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        return "INSERT INTO \"tracking_events\" (" + columns.map { "\"\($0)\"" }.joined(separator: ",") + ") VALUES "
            + Array(repeating: row, count: rows).joined(separator: ",")
    }

    static let insertOneSQL = insertSQL(rows: 1)
    static let insertManySQL = insertSQL(rows: rowsPerInsert)

    /// Writes on the lead writer's connection (SQLite), inside the transaction it runs.
    static func write(_ items: [Item], on database: RawSQLite) throws {
        func text(_ value: String?) -> SQLiteData { value.map { .text($0) } ?? .null }
        var binds: [SQLiteData] = []
        binds.reserveCapacity(columns.count * rowsPerInsert)
        func append(_ item: Item) {
            let e = item.event
            let a = e.attribution
            binds.append(contentsOf: [
                .text(TimeOrderedID.make(at: item.receivedAt).text), .text(item.organizationId.text),
                .text(e.type.rawValue), text(item.lpId?.text), text(item.formId?.text), text(e.visitorId),
                text(e.sessionId), text(e.url), text(e.referrer), text(a["utm_source"]), text(a["utm_medium"]),
                text(a["utm_campaign"]), text(a["utm_content"]), text(a["utm_term"]), text(a["gclid"]),
                text(a["fbclid"]),
                e.step.map { .integer($0) } ?? .null, .float(item.receivedAt.timeIntervalSince1970),
                text(e.stepId),
            ])
        }
        var index = 0
        while items.count - index >= rowsPerInsert {
            for item in items[index..<index + rowsPerInsert] { append(item) }
            try database.run(insertManySQL, binds)
            binds.removeAll(keepingCapacity: true)
            index += rowsPerInsert
        }
        for item in items[index...] {
            append(item)
            try database.run(insertOneSQL, binds)
            binds.removeAll(keepingCapacity: true)
        }
        try increments(items).write(on: database)
    }

    static func write(_ items: [Item], on db: any Database) async throws {
        let stats = Self.increments(items)
        try await db.transaction { tx in
            let sql = tx as! any SQLDatabase
            for chunk in items.chunked(200) {
                var insert = sql.insert(into: "tracking_events").columns(columns)
                for item in chunk {
                    let e = item.event
                    let a = e.attribution
                    let values: [any Encodable & Sendable] = [
                        TimeOrderedID.make(at: item.receivedAt), item.organizationId, e.type.rawValue, item.lpId,
                        item.formId,
                        e.visitorId, e.sessionId, e.url, e.referrer, a["utm_source"], a["utm_medium"],
                        a["utm_campaign"],
                        a["utm_content"], a["utm_term"], a["gclid"], a["fbclid"], e.step, item.receivedAt, e.stepId,
                    ]
                    insert = insert.values(values.map { SQLBind($0) })
                }
                try await insert.run()
            }
            try await stats.write(on: sql)
        }
    }
}

extension Application {
    private struct EventIngestKey: StorageKey { typealias Value = EventIngest }

    var eventIngest: EventIngest {
        get {
            guard let ingest = storage[EventIngestKey.self] else { fatalError("EventIngest is set up in configure()") }
            return ingest
        }
        set { storage[EventIngestKey.self] = newValue }
    }
}

/// Starts the event flusher with the server and flushes on shutdown.
struct EventIngestLifecycle: LifecycleHandler {
    func didBoot(_ application: Application) throws {
        application.eventIngest.start()
    }

    func shutdownAsync(_ application: Application) async {
        await application.eventIngest.stop()
    }
}
