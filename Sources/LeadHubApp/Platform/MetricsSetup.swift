import Fluent
import Metrics
import Prometheus
import SQLKit
import Vapor

/// One Prometheus registry for the process. swift-metrics can be bootstrapped only once per
/// process, so tests that build many applications share it.
enum MetricsSetup {
    static let registry = PrometheusCollectorRegistry()

    private static let bootstrapped: Bool = {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return true
    }()

    static func bootstrap() { _ = bootstrapped }

    private static let pingSeconds = registry.makeGauge(
        name: "leadhub_database_ping_seconds", help: "Time of a SELECT 1 at the last scrape")
    private static let databaseUp = registry.makeGauge(
        name: "leadhub_database_up", help: "1 when the database answered at the last scrape")

    /// The database pool's size, set at start-up.
    static func recordPool(driver: String, maxConnections: Int) {
        registry.makeGauge(
            name: "leadhub_database_pool_max_connections", labels: [("driver", driver)],
            help: "Connections the database pool may open"
        ).set(to: Double(maxConnections))
    }

    /// Pings the database through the pool, so that a scrape shows pool health and latency.
    static func measureDatabase(on db: any Database) async {
        let start = ContinuousClock.now
        do {
            try await (db as! any SQLDatabase).raw("SELECT 1").run()
            let elapsed = ContinuousClock.now - start
            pingSeconds.set(to: Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds))
            databaseUp.set(to: 1.0)
        } catch {
            databaseUp.set(to: 0.0)
        }
    }
}
