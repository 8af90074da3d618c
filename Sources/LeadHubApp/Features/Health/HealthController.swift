import Fluent
import Prometheus
import SQLKit
import Vapor

/// Liveness, readiness and Prometheus metrics.
struct HealthController {
    struct Health: Content {
        let status: String
        let version: String
    }

    struct Readiness: Content {
        let status: String
        let database: String
        let migrations: String
        let pendingMigrations: Int

        enum CodingKeys: String, CodingKey {
            case status, database, migrations, pendingMigrations = "pending_migrations"
        }
    }

    @Sendable func health(req: Request) async throws -> Health {
        Health(status: "ok", version: LeadHubVersion.current)
    }

    @Sendable func ready(req: Request) async throws -> Response {
        var database = "ok"
        var pending = 0
        do {
            let sql = req.db as! any SQLDatabase
            try await sql.raw("SELECT 1").run()
            let applied =
                try await sql.select()
                .column(SQLAlias(SQLFunction("COUNT", args: SQLLiteral.all), as: SQLIdentifier("n")))
                .from("_fluent_migrations").first()?.decode(column: "n", as: Int.self) ?? 0
            pending = max(0, LeadHubMigrations.all.count - applied)
        } catch {
            req.logger.warning("readiness check failed: \(String(describing: error))")
            database = "unreachable"
        }
        let ready = database == "ok" && pending == 0
        let body = Readiness(
            status: ready ? "ready" : "not_ready", database: database,
            migrations: pending == 0 ? "applied" : "pending", pendingMigrations: pending)
        return try await body.encodeResponse(status: ready ? .ok : .serviceUnavailable, for: req)
    }

    @Sendable func metrics(req: Request) async throws -> Response {
        await MetricsSetup.measureDatabase(on: req.db)
        var buffer: [UInt8] = []
        MetricsSetup.registry.emit(into: &buffer)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4"])
        return Response(status: .ok, headers: headers, body: .init(data: Data(buffer)))
    }
}

public enum LeadHubVersion {
    public static let current = "0.1.0"
}
