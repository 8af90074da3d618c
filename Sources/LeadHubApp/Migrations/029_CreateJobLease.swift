import Fluent
import Foundation
import SQLKit

/// One row per periodic job of the cluster (alert monitor, summary e-mails, event retention): the
/// process that holds it and until when. See `JobLeases`.
struct CreateJobLease: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("job_leases")
            .field("name", .string, .required)
            .field("owner", .string, .required)
            .field("expires_at", .datetime, .required)
            .unique(on: "name")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("job_leases").delete()
    }
}
