import Foundation
import LeadHubCore
import Vapor

/// Everything LeadHub reads from its environment, parsed once at start-up.
///
/// Tests build one directly instead of reading the process environment.
public struct AppConfig: Sendable {
    /// PostgreSQL URL; nil means SQLite in `dataDirectory`.
    public var databaseURL: String?
    /// Where the SQLite database, uploads and backups live.
    public var dataDirectory: String
    /// The public base URL (`https://leads.example.fr`), used in links and to decide on `Secure` cookies.
    public var publicURL: String?
    public var adminEmail: String?
    /// The server key that encrypts partner secrets (see `SecretBox`); generated when absent.
    public var secretKey: String?
    /// Waits between delivery attempts (`LEADHUB_DELIVERY_RETRY_SCHEDULE`, seconds).
    public var retrySchedule: RetrySchedule = .standard
    /// Time allowed to a CRM to answer one delivery (`LEADHUB_DELIVERY_TIMEOUT`, seconds).
    public var deliveryTimeout: TimeInterval = 10
    /// Background delivery workers run with the server (tests drive them by hand).
    public var deliveryWorkers: Bool = true
    /// How much longer than the timeout a claimed delivery stays leased (`LEADHUB_DELIVERY_LEASE_MARGIN`).
    public var deliveryLeaseMargin: TimeInterval = 30
    /// Seconds between two evaluations of the alert rules (`LEADHUB_ALERT_INTERVAL`).
    public var alertInterval: TimeInterval = 60
    /// Days raw tracking events are kept (the aggregates stay); 0 keeps them forever.
    public var eventsRetentionDays: Int = 395
    /// Deliveries sent at once to one CRM (`LEADHUB_DELIVERY_CONCURRENCY`).
    public var deliveryConcurrencyPerCrm: Int = 8
    /// Consecutive failures after which a CRM is paused, and how long before probing it again.
    public var breakerThreshold: Int = 5
    public var breakerCooldown: TimeInterval = 60
    public var adminPassword: String?
    /// bcrypt cost; 12 in production. Tests lower it to keep the suite fast.
    public var bcryptCost: Int
    /// A back-office session ends after this much inactivity.
    public var sessionIdleTimeout: TimeInterval
    /// And in any case after this long.
    public var sessionMaxAge: TimeInterval
    /// Lifetime of bearer tokens made by `POST /api/auth/token`.
    public var apiTokenLifetime: TimeInterval
    /// Trust `X-Forwarded-For` / `X-Forwarded-Proto` (true behind our nginx site).
    public var trustProxy: Bool
    /// Apply migrations automatically on start (on by default).
    public var autoMigrate: Bool
    /// Where Leaf templates and public files are; nil means the working directory.
    public var resourcesDirectory: String?
    /// Log lines as JSON objects instead of text.
    public var jsonLogs: Bool
    /// PostgreSQL connections per event loop (one event loop per core).
    public var postgresPoolSize: Int
    /// Listening address and port; `serve --hostname/--port` override them.
    public var host: String?
    public var port: Int?
    /// Who may make and download backups of the whole instance (`LEADHUB_OPERATOR_EMAILS`);
    /// nobody when empty: a backup holds every organization.
    public var operatorEmails: [String] = []
    /// Lead API rate limits, per second: per organization key (`LEADHUB_INTAKE_KEY_RATE`) and per
    /// address and form key (`LEADHUB_INTAKE_ADDRESS_RATE`).
    public var intakeKeyRate: Double = 1_000
    public var intakeAddressRate: Double = 0.5
    /// Tracking events accepted per address and second (`LEADHUB_EVENTS_ADDRESS_RATE`).
    public var eventsAddressRate: Double = 20
    /// SendGrid's API (`LEADHUB_SENDGRID_URL` points it at a fake on loopback in tests).
    public var sendgridURL: String = "https://api.sendgrid.com"
    /// `demo`: days of generated traffic (`LEADHUB_DEMO_TRAFFIC_DAYS`, 0–90), the demo admin's
    /// password (`LEADHUB_DEMO_PASSWORD`, generated when absent), and whether the demo CRMs point at
    /// the fake partners served by the instance itself (`LEADHUB_DEMO_PARTNERS=local`).
    public var demoTrafficDays: Int = 30
    public var demoPassword: String?
    public var demoPartners: String = ""
    /// Hour (Europe/Paris, 0–23) from which the daily and weekly summaries go out (`LEADHUB_SUMMARY_HOUR`).
    public var summaryHour: Int = SummarySchedule.hour
    /// The request header in which the reverse proxy names the client's country (`CF-IPCountry`
    /// behind Cloudflare; `LEADHUB_IP_COUNTRY_HEADER`): a lead from outside France scores lower.
    public var ipCountryHeader: String?
    /// A list of disposable e-mail domains to use instead of the shipped one
    /// (`LEADHUB_DISPOSABLE_DOMAINS_FILE`, one domain per line).
    public var disposableDomainsFile: String?

    public init(
        databaseURL: String? = nil,
        dataDirectory: String = "./data",
        publicURL: String? = nil,
        adminEmail: String? = nil,
        adminPassword: String? = nil,
        bcryptCost: Int = 12,
        sessionIdleTimeout: TimeInterval = 12 * 3600,
        sessionMaxAge: TimeInterval = 7 * 24 * 3600,
        apiTokenLifetime: TimeInterval = 90 * 24 * 3600,
        trustProxy: Bool = false,
        autoMigrate: Bool = true,
        resourcesDirectory: String? = nil,
        jsonLogs: Bool = false,
        postgresPoolSize: Int = 4
    ) {
        self.databaseURL = databaseURL
        self.dataDirectory = dataDirectory
        self.publicURL = publicURL
        self.adminEmail = adminEmail
        self.adminPassword = adminPassword
        self.bcryptCost = bcryptCost
        self.sessionIdleTimeout = sessionIdleTimeout
        self.sessionMaxAge = sessionMaxAge
        self.apiTokenLifetime = apiTokenLifetime
        self.trustProxy = trustProxy
        self.autoMigrate = autoMigrate
        self.resourcesDirectory = resourcesDirectory
        self.jsonLogs = jsonLogs
        self.postgresPoolSize = postgresPoolSize
    }

    /// Reads the `LEADHUB_*` variables and `DATABASE_URL` (see README's configuration table).
    public static func fromEnvironment() -> AppConfig {
        func value(_ key: String) -> String? {
            guard let raw = Environment.get(key)?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        func flag(_ key: String, default fallback: Bool) -> Bool {
            guard let raw = value(key)?.lowercased() else { return fallback }
            return ["1", "true", "yes", "on", "oui"].contains(raw)
        }
        var config = AppConfig()
        config.databaseURL = value("DATABASE_URL")
        config.dataDirectory = value("LEADHUB_DATA_DIR") ?? "./data"
        config.publicURL = value("LEADHUB_PUBLIC_URL")
        config.adminEmail = value("LEADHUB_ADMIN_EMAIL")
        config.adminPassword = value("LEADHUB_ADMIN_PASSWORD")
        config.bcryptCost = value("LEADHUB_BCRYPT_COST").flatMap(Int.init).map { min(max($0, 4), 16) } ?? 12
        config.sessionIdleTimeout =
            value("LEADHUB_SESSION_IDLE_MINUTES").flatMap(Double.init).map { $0 * 60 }
            ?? config.sessionIdleTimeout
        config.trustProxy = flag("LEADHUB_TRUST_PROXY", default: false)
        config.autoMigrate = flag("LEADHUB_AUTO_MIGRATE", default: true)
        config.resourcesDirectory = value("LEADHUB_RESOURCES_DIR")
        config.jsonLogs = value("LEADHUB_LOG_FORMAT")?.lowercased() == "json"
        config.host = value("LEADHUB_HOST")
        config.port = value("LEADHUB_PORT").flatMap(Int.init)
        config.secretKey = value("LEADHUB_SECRET_KEY")
        config.deliveryWorkers = flag("LEADHUB_DELIVERY_WORKERS", default: true)
        config.alertInterval = value("LEADHUB_ALERT_INTERVAL").flatMap(Double.init).map { max($0, 1) } ?? 60
        config.eventsRetentionDays = value("LEADHUB_EVENTS_RETENTION_DAYS").flatMap(Int.init).map { max($0, 0) } ?? 395
        config.deliveryLeaseMargin =
            value("LEADHUB_DELIVERY_LEASE_MARGIN").flatMap(Double.init).map { max($0, 1) } ?? 30
        if let schedule = value("LEADHUB_DELIVERY_RETRY_SCHEDULE").flatMap(RetrySchedule.init(parsing:)) {
            config.retrySchedule = schedule
        }
        config.deliveryTimeout =
            value("LEADHUB_DELIVERY_TIMEOUT").flatMap(Double.init).map { min(max($0, 0.2), 120) } ?? 10
        config.deliveryConcurrencyPerCrm =
            value("LEADHUB_DELIVERY_CONCURRENCY").flatMap(Int.init).map { min(max($0, 1), 256) } ?? 8
        config.breakerThreshold = value("LEADHUB_BREAKER_THRESHOLD").flatMap(Int.init).map { max($0, 1) } ?? 5
        config.breakerCooldown = value("LEADHUB_BREAKER_COOLDOWN").flatMap(Double.init).map { max($0, 0.1) } ?? 60
        config.operatorEmails = (value("LEADHUB_OPERATOR_EMAILS") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        config.postgresPoolSize = value("LEADHUB_DB_POOL_SIZE").flatMap(Int.init).map { min(max($0, 1), 64) } ?? 4
        config.intakeKeyRate = value("LEADHUB_INTAKE_KEY_RATE").flatMap(Double.init).map { max($0, 0.01) } ?? 1_000
        config.intakeAddressRate =
            value("LEADHUB_INTAKE_ADDRESS_RATE").flatMap(Double.init).map { max($0, 0.01) } ?? 0.5
        config.eventsAddressRate = value("LEADHUB_EVENTS_ADDRESS_RATE").flatMap(Double.init).map { max($0, 0.01) } ?? 20
        config.sendgridURL = value("LEADHUB_SENDGRID_URL") ?? "https://api.sendgrid.com"
        config.demoTrafficDays = value("LEADHUB_DEMO_TRAFFIC_DAYS").flatMap(Int.init).map { max(0, min($0, 90)) } ?? 30
        config.demoPassword = value("LEADHUB_DEMO_PASSWORD")
        config.summaryHour =
            value("LEADHUB_SUMMARY_HOUR").flatMap(Int.init).map { min(max($0, 0), 23) } ?? SummarySchedule.hour
        config.demoPartners = value("LEADHUB_DEMO_PARTNERS")?.lowercased() ?? ""
        config.ipCountryHeader = value("LEADHUB_IP_COUNTRY_HEADER")
        config.disposableDomainsFile = value("LEADHUB_DISPOSABLE_DOMAINS_FILE")
        return config
    }

    /// Cookies get `Secure` when the public URL is HTTPS (see also `Request.isHTTPS`).
    public var secureCookies: Bool { publicURL?.lowercased().hasPrefix("https://") ?? false }

    public var usesPostgres: Bool { databaseURL != nil }

    public var sqlitePath: String { (dataDirectory as NSString).appendingPathComponent("leadhub.sqlite") }
}

extension Application {
    private struct ConfigKey: StorageKey { typealias Value = AppConfig }

    public var config: AppConfig {
        get { storage[ConfigKey.self] ?? AppConfig() }
        set { storage[ConfigKey.self] = newValue }
    }
}
