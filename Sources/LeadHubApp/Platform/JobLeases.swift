import Foundation
import SQLKit
import Vapor

/// One owner per run for the periodic jobs when several LeadHub processes share one database.
///
/// A job is a row of `job_leases` (name, owner, expires_at), claimed by one conditional upsert
/// like the outbox claims a delivery: the claim succeeds when the row is new, expired, or (for
/// jobs that stay with their owner) already ours; the database decides, so two processes never
/// both win. A process that dies loses its jobs when their lease expires; one that stops cleanly
/// releases them so that another takes over at its next turn.
struct JobLeases: Sendable {
    /// This process, for the lease rows (readable in `job_leases` when investigating).
    let owner: String

    init(owner: String = JobLeases.processOwner()) {
        self.owner = owner
    }

    static func processOwner() -> String {
        "\(ProcessInfo.processInfo.hostName.prefix(40))#\(ProcessInfo.processInfo.processIdentifier)#"
            + UUID().uuidString.prefix(8)
    }

    enum Kind: Sendable {
        /// Stays with its owner while it renews: the alert monitor and the summaries, whose owner
        /// runs them every interval.
        case sticky
        /// Due again only when the lease has run out, whoever held it: "at most once an hour
        /// across the cluster" (event retention).
        case onceUntilExpiry
    }

    /// Claims (or renews) `job` until `now + duration`; true when this process holds it now.
    func claim(_ job: String, kind: Kind, for duration: TimeInterval, now: Date, on sql: any SQLDatabase)
        async throws -> Bool
    {
        let until = now.addingTimeInterval(duration)
        let condition: SQLQueryString =
            switch kind {
            case .sticky:
                "job_leases.expires_at <= \(bind: now) OR job_leases.owner = \(bind: owner)"
            case .onceUntilExpiry:
                "job_leases.expires_at <= \(bind: now)"
            }
        let rows = try await sql.raw(
            """
            INSERT INTO job_leases (name, owner, expires_at) VALUES (\(bind: job), \(bind: owner), \(bind: until))
            ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            WHERE \(condition as any SQLExpression) RETURNING name
            """
        ).all()
        return !rows.isEmpty
    }

    /// Gives back `jobs` if this process holds them (on a clean stop, for the sticky ones: a
    /// once-until-expiry job keeps its lease so that it does not run again before its time).
    func release(_ jobs: [String], on sql: any SQLDatabase) async throws {
        guard !jobs.isEmpty else { return }
        try await sql.delete(from: "job_leases").where("owner", .equal, owner).where("name", .in, jobs).run()
    }

    /// Who holds `job` and until when (operations, tests).
    static func holder(of job: String, on sql: any SQLDatabase) async throws -> (owner: String, until: Date)? {
        guard
            let row = try await sql.select().columns("owner", "expires_at").from("job_leases")
                .where("name", .equal, job).first()
        else { return nil }
        return (try row.decode(column: "owner", as: String.self), try row.decode(column: "expires_at", as: Date.self))
    }
}
