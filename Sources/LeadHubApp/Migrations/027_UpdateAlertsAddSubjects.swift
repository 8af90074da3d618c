import Fluent
import Foundation
import SQLKit

/// What an alert is about — a CRM, an account (through a form), a form — so that users limited
/// to some CRMs or accounts see only the alerts about what they see. Open alerts of earlier
/// versions get theirs from their key (`crm_auth:<id>`, `crm_failing:<id>`, `form_silent:<id>`).
struct UpdateAlertsAddSubjects: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // SQLite adds one column per ALTER TABLE.
        for column in ["crm_id", "account_id", "form_id"] {
            try await database.schema("alerts").field(FieldKey(stringLiteral: column), .uuid).update()
        }
        let sql = database as! any SQLDatabase
        let rows = try await sql.select().columns("id", "key").from("alerts").all()
        for row in rows {
            let key = try row.decode(column: "key", as: String.self)
            let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let subject = UUID(uuidString: parts[1]) else { continue }
            let id = try row.decode(column: "id", as: UUID.self)
            switch parts[0] {
            case "crm_auth", "crm_failing":
                try await sql.update("alerts").set("crm_id", to: subject).where("id", .equal, id).run()
            case "form_silent":
                let form = try await sql.select().column("account_id").from("forms").where("id", .equal, subject)
                    .first()
                let account = try form?.decode(column: "account_id", as: UUID.self)
                let crm = try await account.asyncFlatMap {
                    try await sql.select().column("crm_id").from("accounts").where("id", .equal, $0).first()?
                        .decode(column: "crm_id", as: UUID.self)
                }
                try await sql.update("alerts").set("form_id", to: subject).set("account_id", to: account)
                    .set("crm_id", to: crm).where("id", .equal, id).run()
            default: continue
            }
        }
    }

    func revert(on database: any Database) async throws {
        for column in ["form_id", "account_id", "crm_id"] {
            try await database.schema("alerts").deleteField(FieldKey(stringLiteral: column)).update()
        }
    }
}

extension Optional {
    fileprivate func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
