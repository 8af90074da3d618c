import Fluent
import Leaf
import Vapor

/// Builds the application: storage, migrations, middleware, views, routes and commands.
/// Tests call it with their own configuration and clock.
public func configure(_ app: Application, config: AppConfig = .fromEnvironment(), clock: any AppClock = SystemClock())
    async throws
{
    app.config = config
    app.clock = clock
    MetricsSetup.bootstrap()
    if let resources = config.resourcesDirectory {
        app.directory = DirectoryConfiguration(workingDirectory: resources)
    }
    try ResourcesCheck.require(in: app.directory)

    if let host = config.host { app.http.server.configuration.hostname = host }
    if let port = config.port { app.http.server.configuration.port = port }
    app.passwords.use(.bcrypt(cost: config.bcryptCost))
    app.dummyPasswordHash = try app.password.hash(Secrets.token(prefix: "", bytes: 16))

    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.withoutEscapingSlashes]
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    ContentConfiguration.global.use(encoder: encoder, for: .json)
    ContentConfiguration.global.use(decoder: decoder, for: .json)

    app.secretBox = try SecretBox.load(configured: config.secretKey, dataDirectory: config.dataDirectory)
    try DatabaseSetup.configure(app)
    try await DatabaseSetup.applySQLitePragmas(app)
    app.migrations.add(LeadHubMigrations.all)

    app.views.use(.leaf)
    app.leaf.cache.isEnabled = app.environment.isRelease

    app.middleware = .init()
    app.middleware.use(RouteLoggingMiddleware(logLevel: .info))
    app.middleware.use(RequestIdMiddleware())
    app.middleware.use(SecurityHeadersMiddleware())
    app.middleware.use(LeadHubErrorMiddleware())
    app.middleware.use(FileMiddleware(publicDirectory: app.directory.publicDirectory, defaultFile: nil))
    app.routes.defaultMaxBodySize = "1mb"

    app.intakeCache = IntakeCache()
    IntakeCacheInvalidation<Form>.install(on: app, cache: app.intakeCache)
    app.leadWriter = LeadWriter(app: app)
    app.lifecycle.use(LeadWriterLifecycle())
    // As many connections to one CRM as deliveries may be in flight to it (the client's default is 8).
    app.http.client.configuration.connectionPool = .init(
        idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, config.deliveryConcurrencyPerCrm))
    app.deliveryWorker = DeliveryWorker(app: app)
    app.lifecycle.use(DeliveryWorkerLifecycle())
    app.alertMonitor = AlertMonitor(app: app)
    app.lifecycle.use(AlertMonitorLifecycle())
    app.intakeLimits = IntakeLimits(config: config)
    app.trackerScript = try TrackingController.Script.load(from: app.directory.resourcesDirectory)
    app.qualityLists = try QualityLists.load(config: config, resources: app.directory.resourcesDirectory)
    app.communes = try Communes.load(resources: app.directory.resourcesDirectory)
    let eventRate = config.eventsAddressRate
    app.eventLimits = RateLimiter(capacity: max(50, eventRate * 10), perSecond: eventRate)
    app.eventIngest = EventIngest(app: app)
    _ = app.botVerdicts
    app.lifecycle.use(EventIngestLifecycle())
    _ = app.v1CallCounter
    app.lifecycle.use(V1CallCounterLifecycle())

    try routes(app)

    app.asyncCommands.use(MigrateCommand(), as: "migrate", isDefault: false)
    app.asyncCommands.use(CreateUserCommand(), as: "create-user")
    app.asyncCommands.use(DemoCommand(), as: "demo")
    app.asyncCommands.use(BackupCommand(), as: "backup")
    app.asyncCommands.use(BenchDashboardCommand(), as: "bench-dashboard")
    app.asyncCommands.use(ImportV1Command(), as: "import-v1")

    if config.autoMigrate {
        try await app.autoMigrate()
    }
}

/// Every answer carries the request id that also stands on each log line of that request.
struct RequestIdMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "X-Request-Id", value: request.id)
        return response
    }
}

/// A server started without its templates or its tracker cannot answer: say so in one line
/// (French, then English) instead of failing later with a backtrace.
enum ResourcesCheck {
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "Ressources introuvables : \(path) — lancez LeadHub depuis son dossier ou définissez LEADHUB_RESOURCES_DIR. "
                + "/ Resources not found: \(path) — run LeadHub from its folder or set LEADHUB_RESOURCES_DIR."
        }
    }

    static func require(in directory: DirectoryConfiguration) throws {
        let needed = [
            directory.viewsDirectory + "layouts/app.leaf", directory.resourcesDirectory + "Tracker/t.js",
            directory.publicDirectory,
        ]
        for path in needed where !FileManager.default.fileExists(atPath: path) {
            throw Missing(path: path)
        }
    }
}
