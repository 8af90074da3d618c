import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// `leadhub import-v1`: the first version's MongoDB collections (as `mongoexport` writes them)
/// into one organization. Every document becomes a LeadHub row, or is listed in the report with
/// the reason it was skipped; what had to change is listed too. The map from old ids to new rows
/// (`v1_id_map`, with a fingerprint of each document) makes a second run update what changed and
/// create nothing twice. A dry run does everything in one transaction and rolls it back.
/// Used by one task at a time (the command), hence unchecked.
final class V1Importer: @unchecked Sendable {
    /// The collections read, in the order they depend on each other.
    static let collections = [
        "system_config", "product_types", "diffusion_sources", "crms", "accounts", "sub_accounts", "lps", "forms",
        "users", "lead_queue", "leads", "leads_archived", "tracking", "cta_clicks", "form_starts", "billing_history",
        "comments", "activity_logs", "system_alerts", "assets",
    ]

    struct Link {
        let newId: UUID
        var fingerprint: String
    }

    struct Options {
        var directory: String
        var organization: String
        var dryRun = false
        /// Leads per transaction (and per statement group).
        var batchSize = 1_000
    }

    let app: Application
    let options: Options
    let now: Date
    var report: V1ImportReport
    var organizationId = UUID()
    /// collection → old id → new row.
    var links: [String: [String: Link]] = [:]
    var newLinks: [(String, String, UUID, String)] = []
    var changedLinks: [(String, String, String)] = []
    /// The lead batch being written while the next one is mapped.
    var pendingWrite: Task<Void, any Error>? = nil

    // What later collections look up.
    var crms: [UUID: Crm] = [:]
    var accounts: [UUID: Account] = [:]
    var landingPagesByCode: [String: LandingPage] = [:]
    var formsByCode: [String: Form] = [:]
    var forms: [UUID: Form] = [:]
    var sourcesByName: [String: DiffusionSource] = [:]
    var usersByOldId: [String: User] = [:]
    /// lead_queue entries by old lead id: status, attempts, next retry, last error.
    var queue: [String: (status: String, attempts: Int, next: Date?, error: String?)] = [:]

    init(app: Application, options: Options, now: Date = Date()) {
        self.app = app
        self.options = options
        self.now = now
        self.report = V1ImportReport(dryRun: options.dryRun)
    }

    struct DryRunRollback: Error {}

    /// Runs the import; a dry run rolls everything back and still reports what it would do.
    func run() async throws -> V1ImportReport {
        let started = Date()
        guard FileManager.default.fileExists(atPath: options.directory) else {
            throw CommandFailure("Dossier introuvable : \(options.directory)")
        }
        if options.dryRun {
            do {
                try await app.db.transaction { tx in
                    try await self.importAll(on: tx)
                    throw DryRunRollback()
                }
            } catch is DryRunRollback {}
        } else {
            try await importAll(on: app.db)
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    func importAll(on db: any Database) async throws {
        try await db.transaction { tx in try await self.prepareOrganization(on: tx) }
        try await loadLinks(on: db)
        try await db.transaction { tx in
            try await self.importSystemConfig(on: tx)
            try await self.importProductTypes(on: tx)
            try await self.importDiffusionSources(on: tx)
            try await self.importCrms(on: tx)
            try await self.importAccounts(on: tx)
            try await self.importLandingPagesAndForms(on: tx)
            try await self.importUsers(on: tx)
            try await self.flushLinks(on: tx)
        }
        try await importQueue()
        try await importLeads(collection: "leads", archived: false, on: db)
        try await importLeads(collection: "leads_archived", archived: true, on: db)
        try await db.transaction { tx in
            try await self.importTracking(on: tx)
            try await self.importBilling(on: tx)
            try await self.importComments(on: tx)
            try await self.importActivity(on: tx)
            try await self.importAlerts(on: tx)
            try await self.importAssets(on: tx)
            try await self.flushLinks(on: tx)
        }
    }

    // MARK: - Files and documents

    /// `DIR/<name>.json` (array or JSON lines), `.jsonl` or `.ndjson`; nil when absent.
    func file(_ name: String) -> String? {
        for ext in ["json", "jsonl", "ndjson"] {
            let path = options.directory + "/" + name + "." + ext
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// Every document of a collection (mapped in memory: big exports are not read into RAM).
    func forEachDocument(_ name: String, _ body: ([String: JSONValue]) async throws -> Void) async throws {
        guard let path = file(name) else { return }
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        var batch: [Result<[String: JSONValue], MongoExport.BadDocument>] = []
        var offset = 0
        // Parse a slice at a time, then hand documents over (async work cannot run inside withUnsafeBytes).
        while true {
            batch.removeAll(keepingCapacity: true)
            var next = offset
            var done = false
            try data.withUnsafeBytes { raw in
                let (parsed, end, finished) = try Self.parseSome(raw, from: offset, max: 2_000)
                batch = parsed
                next = end
                done = finished
            }
            offset = next
            for item in batch {
                report.count(name) { $0.read += 1 }
                switch item {
                case .success(let doc): try await body(doc)
                case .failure(let bad): report.skip(name, "document n°\(report.counts[name]!.read)", bad.reason)
                }
            }
            if done { break }
        }
    }

    /// Up to `max` documents from `offset`: (documents, where the next starts, whether the file ended).
    static func parseSome(_ raw: UnsafeRawBufferPointer, from offset: Int, max: Int) throws
        -> ([Result<[String: JSONValue], MongoExport.BadDocument>], Int, Bool)
    {
        var out: [Result<[String: JSONValue], MongoExport.BadDocument>] = []
        var end = offset
        var finished = true
        try MongoExport.forEachDocument(in: raw, from: offset) { result, next in
            out.append(result)
            end = next
            if out.count >= max {
                finished = false
                return false
            }
            return true
        }
        return (out, end, finished)
    }

    static func oldId(_ doc: [String: JSONValue]) -> String? {
        text(doc["id"]) ?? text(doc["_id"])
    }

    static func text(_ value: JSONValue?) -> String? {
        guard let text = value?.text?.trimmedText, !text.isEmpty else { return nil }
        return text
    }

    static func fingerprint(_ doc: [String: JSONValue]) -> String {
        Secrets.sha256Hex(JSONValue.object(doc).canonical)
    }

    // MARK: - The id map

    func loadLinks(on db: any Database) async throws {
        let rows = try await (db as! any SQLDatabase).select().columns("collection", "old_id", "new_id", "fingerprint")
            .from("v1_id_map").where("organization_id", .equal, organizationId).all()
        for row in rows {
            let collection = try row.decode(column: "collection", as: String.self)
            links[collection, default: [:]][try row.decode(column: "old_id", as: String.self)] = Link(
                newId: try row.decode(column: "new_id", as: UUID.self),
                fingerprint: try row.decode(column: "fingerprint", as: String.self))
        }
    }

    func link(_ collection: String, _ oldId: String?) -> Link? {
        guard let oldId else { return nil }
        return links[collection]?[oldId]
    }

    func remember(_ collection: String, _ oldId: String, _ newId: UUID, _ fingerprint: String) {
        if var existing = links[collection]?[oldId] {
            if existing.fingerprint != fingerprint {
                existing.fingerprint = fingerprint
                links[collection]![oldId] = existing
                changedLinks.append((collection, oldId, fingerprint))
            }
            return
        }
        links[collection, default: [:]][oldId] = Link(newId: newId, fingerprint: fingerprint)
        newLinks.append((collection, oldId, newId, fingerprint))
    }

    func flushLinks(on db: any Database) async throws {
        let links = newLinks
        newLinks.removeAll()
        let changed = changedLinks
        changedLinks.removeAll()
        try await insertLinks(links, changed: changed, on: db)
    }

    func insertLinks(
        _ newLinks: [(String, String, UUID, String)], changed changedLinks: [(String, String, String)],
        on db: any Database
    ) async throws {
        let sql = db as! any SQLDatabase
        for chunk in newLinks.chunked(500) {
            var insert = sql.insert(into: "v1_id_map")
                .columns("id", "organization_id", "collection", "old_id", "new_id", "fingerprint", "updated_at")
            for (collection, oldId, newId, fingerprint) in chunk {
                insert = insert.values(
                    SQLBind(UUID()), SQLBind(organizationId), SQLBind(collection), SQLBind(oldId), SQLBind(newId),
                    SQLBind(fingerprint), SQLBind(now))
            }
            try await insert.run()
        }
        for (collection, oldId, fingerprint) in changedLinks {
            try await sql.update("v1_id_map").set("fingerprint", to: fingerprint).set("updated_at", to: now)
                .where("organization_id", .equal, organizationId).where("collection", .equal, collection)
                .where("old_id", .equal, oldId).run()
        }
    }

    /// Created, updated or unchanged, from the id map and the document's fingerprint.
    enum Change { case create, update(UUID), unchanged(UUID) }

    func change(_ collection: String, _ oldId: String, _ fingerprint: String) -> Change {
        guard let known = links[collection]?[oldId] else { return .create }
        return known.fingerprint == fingerprint ? .unchanged(known.newId) : .update(known.newId)
    }

    /// The change for a row found (or not) by the id map or by a natural key (code, slug, name).
    func change(existing id: UUID?, _ collection: String, _ oldId: String, _ fingerprint: String) -> Change {
        guard let id else { return .create }
        return link(collection, oldId)?.fingerprint == fingerprint ? .unchanged(id) : .update(id)
    }

    func counted(_ collection: String, _ change: Change) {
        report.count(collection) { counts in
            switch change {
            case .create: counts.created += 1
            case .update: counts.updated += 1
            case .unchanged: counts.unchanged += 1
            }
        }
    }

    // MARK: - Organization

    func prepareOrganization(on db: any Database) async throws {
        var organization = try await OrganizationService.find(idOrName: options.organization, on: db)
        if organization == nil {
            organization = try await OrganizationService.create(name: options.organization, on: db)
            report.organizationCreated = true
        }
        let org = organization!
        organizationId = try org.requireID()
        report.organization = "\(org.name) (\(organizationId))"
        if !org.v1CompatEnabled {
            org.v1CompatEnabled = true
            try await org.save(on: db)
        }
        let existing = try await Crm.query(on: db).filter(\.$organizationId == organizationId).all()
        for crm in existing { crms[try crm.requireID()] = crm }
        for account in try await Account.query(on: db).filter(\.$organizationId == organizationId).all() {
            accounts[try account.requireID()] = account
        }
        for page in try await LandingPage.query(on: db).filter(\.$organizationId == organizationId).all() {
            landingPagesByCode[page.code] = page
        }
        for form in try await Form.query(on: db).filter(\.$organizationId == organizationId).all() {
            formsByCode[form.code] = form
            forms[try form.requireID()] = form
        }
        for source in try await DiffusionSource.query(on: db).filter(\.$organizationId == organizationId).all() {
            sourcesByName[source.name.lowercased()] = source
        }
    }

    // MARK: - Configuration

    func importSystemConfig(on db: any Database) async throws {
        let name = "system_config"
        try await forEachDocument(name) { doc in
            let id = Self.oldId(doc) ?? Self.text(doc["type"]) ?? "?"
            switch Self.text(doc["type"]) {
            case "global_api_key":
                guard let key = Self.text(doc["api_key"]) else {
                    report.skip(name, id, "clé globale vide")
                    return
                }
                let created = try await V1CompatService.keepGlobalKey(
                    key, organizationId: organizationId, now: now, on: db)
                report.count(name) { created ? ($0.created += 1) : ($0.unchanged += 1) }
                if created {
                    report.info(
                        name,
                        "clé globale \(key.prefix(8))… gardée (clé d'organisation « \(V1CompatService.globalKeyName) »)"
                    )
                }
            case let other:
                report.skip(name, id, "réglage « \(other ?? "sans type") » non repris (LeadHub a ses propres réglages)")
            }
        }
    }

    func importProductTypes(on db: any Database) async throws {
        let name = "product_types"
        let existing = try await ProductType.query(on: db).filter(\.$organizationId == organizationId).all()
        var byCode = Dictionary(existing.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        try await forEachDocument(name) { doc in
            let id = Self.oldId(doc) ?? Self.text(doc["slug"]) ?? "?"
            let mapped = V1Mapping.product(Self.text(doc["slug"])) ?? V1Mapping.product(Self.text(doc["name"]))
            guard let code = mapped ?? V1Mapping.code(Self.text(doc["slug"]) ?? Self.text(doc["name"])) else {
                report.skip(name, id, "type de produit sans nom ni slug")
                return
            }
            let fingerprint = Self.fingerprint(doc)
            let product = byCode[code] ?? ProductType()
            let isNew = product.id == nil
            let change = self.change(existing: product.id, name, id, fingerprint)
            if case .unchanged = change {
                counted(name, change)
                return
            }
            if isNew {
                product.organizationId = organizationId
                product.code = code
                product.requiredFields = [LeadField.phone.rawValue]
                product.active = true
                report.alter(
                    name, id,
                    "nouveau type \(code) : seul le téléphone y est obligatoire (à compléter dans « Types de produit »)"
                )
            }
            product.label = Self.text(doc["name"]) ?? product.label
            if let aid = Self.text(doc["aide_montant"]) { product.aidAmountText = aid }
            if case .array(let aids)? = doc["aides_liste"] { product.aids = aids.compactMap { Self.text($0) } }
            if let active = doc["is_active"]?.bool { product.active = active }
            if product.label.isEmpty { product.label = code }
            try await product.save(on: db)
            byCode[code] = product
            remember(name, id, try product.requireID(), fingerprint)
            counted(name, change)
        }
    }

    func importDiffusionSources(on db: any Database) async throws {
        let name = "diffusion_sources"
        try await forEachDocument(name) { doc in
            let id = Self.oldId(doc) ?? "?"
            guard let label = Self.text(doc["name"]) else {
                report.skip(name, id, "source sans nom")
                return
            }
            let fingerprint = Self.fingerprint(doc)
            let source =
                link(name, id).flatMap { l in sourcesByName.values.first { $0.id == l.newId } }
                ?? sourcesByName[label.lowercased()] ?? DiffusionSource()
            let change = self.change(existing: source.id, name, id, fingerprint)
            if case .unchanged = change { return counted(name, change) }
            source.organizationId = organizationId
            source.name = String(label.prefix(100))
            source.categoryRaw = V1Mapping.diffusionCategory(Self.text(doc["category"])).rawValue
            source.active = doc["is_active"]?.bool ?? true
            try await source.save(on: db)
            sourcesByName[source.name.lowercased()] = source
            remember(name, id, try source.requireID(), fingerprint)
            counted(name, change)
        }
    }

    /// The diffusion source of a first-version page (`source_name`), created when missing.
    func source(named raw: String?, category: String?, on db: any Database) async throws -> DiffusionSource? {
        guard let label = raw?.trimmedText, !label.isEmpty else { return nil }
        if let known = sourcesByName[label.lowercased()] { return known }
        let source = DiffusionSource()
        source.organizationId = organizationId
        source.name = String(label.prefix(100))
        source.categoryRaw = V1Mapping.diffusionCategory(category).rawValue
        source.active = true
        try await source.create(on: db)
        sourcesByName[label.lowercased()] = source
        return source
    }

    func importCrms(on db: any Database) async throws {
        let name = "crms"
        try await forEachDocument(name) { doc in
            guard let id = Self.oldId(doc) else { return report.skip(name, nil, "CRM sans id") }
            guard let label = Self.text(doc["name"]) else { return report.skip(name, id, "CRM sans nom") }
            let fingerprint = Self.fingerprint(doc)
            let slug = Slug.make(Self.text(doc["slug"]) ?? label)
            let crm = link(name, id).flatMap { crms[$0.newId] } ?? crms.values.first { $0.slug == slug } ?? Crm()
            let change = self.change(existing: crm.id, name, id, fingerprint)
            if case .unchanged = change {
                remember(name, id, crm.id!, fingerprint)
                return counted(name, change)
            }
            crm.organizationId = organizationId
            crm.name = String(label.prefix(100))
            crm.slug = slug.isEmpty ? "crm" : slug
            crm.apiURL = Self.text(doc["api_url"]).flatMap { Check.isHTTPURL($0) ? $0 : nil }
            if Self.text(doc["api_url"]) != nil, crm.apiURL == nil {
                report.alter(name, id, "adresse d'API invalide « \(Self.text(doc["api_url"])!) » : non reprise")
            }
            crm.details = Self.text(doc["description"])
            crm.deliveryKind = V1Mapping.deliveryKind(slug: Self.text(doc["slug"]), name: label)
            let (orders, dropped) = V1Mapping.orders(doc["commandes"])
            crm.orders = orders
            if !dropped.isEmpty {
                report.alter(
                    name, id,
                    "commandes non reprises (produit ou département inconnu) : \(dropped.joined(separator: ", "))")
            }
            crm.leadPrices = V1Mapping.prices(doc["lead_prices"])
            crm.routingLimits = V1Mapping.limits(doc["routing_limits"])
            try await crm.save(on: db)
            crms[try crm.requireID()] = crm
            remember(name, id, try crm.requireID(), fingerprint)
            counted(name, change)
        }
    }

    /// An account id of the first version (from `accounts` or the older `sub_accounts`).
    func accountId(_ old: String?) -> UUID? {
        link("accounts", old)?.newId ?? link("sub_accounts", old)?.newId
    }

    func importAccounts(on db: any Database) async throws {
        var parents: [(UUID, String, String, String)] = []  // account, old parent id, collection, old id
        for name in ["accounts", "sub_accounts"] {
            try await forEachDocument(name) { doc in
                guard let id = Self.oldId(doc) else { return report.skip(name, nil, "compte sans id") }
                guard let label = Self.text(doc["name"]) else { return report.skip(name, id, "compte sans nom") }
                guard let crmId = link("crms", Self.text(doc["crm_id"]))?.newId else {
                    return report.skip(name, id, "CRM inconnu (crm_id \(Self.text(doc["crm_id"]) ?? "absent"))")
                }
                let fingerprint = Self.fingerprint(doc)
                let account = link(name, id).flatMap { accounts[$0.newId] } ?? Account()
                let change = self.change(existing: account.id, name, id, fingerprint)
                if case .unchanged = change { return counted(name, change) }
                account.organizationId = organizationId
                account.crmId = crmId
                account.name = String(label.prefix(100))
                account.domain = Self.text(doc["domain"])
                var products: [String] = []
                if case .array(let items)? = doc["product_types"] {
                    for item in items {
                        if let code = V1Mapping.product(item.text) {
                            if !products.contains(code) { products.append(code) }
                        } else {
                            report.alter(name, id, "type de produit inconnu « \(item.text ?? "?") » non repris")
                        }
                    }
                }
                account.productTypes = products
                func url(_ keys: String...) -> String? {
                    for key in keys { if let value = Self.text(doc[key]) { return value } }
                    return nil
                }
                account.logoMainURL = url("logo_main_url", "logo_left_url")
                account.logoSecondaryURL = url("logo_secondary_url", "logo_right_url")
                account.logoSmallURL = url("logo_small_url", "logo_mini_url")
                account.faviconURL = url("favicon_url")
                account.primaryColor = url("primary_color")
                account.secondaryColor = url("secondary_color")
                account.images = Self.namedURLs(doc["images"])
                account.privacyPolicy =
                    url("privacy_policy_text", "privacy_policy")
                    ?? url("privacy_policy_url").map { "Politique de confidentialité : \($0)" }
                account.legalMentions =
                    url("legal_mentions_text", "legal_mentions")
                    ?? url("legal_mentions_url").map { "Mentions légales : \($0)" }
                account.cgu = url("cgu_text", "cgu")
                account.gtmHead = url("gtm_pixel_header", "gtm_head")
                account.gtmCta = url("gtm_cta_code")
                account.gtmConversion = url("gtm_conversion_code", "gtm_conversion", "conversion_code")
                account.redirectURLs = Self.namedURLs(doc["named_redirect_urls"])
                account.defaultRedirectURL = url("default_redirect_url", "redirect_url")
                account.notes = url("notes")
                if account.id == nil { account.parentId = nil }
                try await account.save(on: db)
                let newId = try account.requireID()
                accounts[newId] = account
                remember(name, id, newId, fingerprint)
                counted(name, change)
                if let parent = url("parent_account_id", "parent_id")
                    ?? (name == "sub_accounts" ? url("account_id") : nil)
                {
                    parents.append((newId, parent, name, id))
                }
            }
        }
        for (accountId, parentOld, collection, oldId) in parents {
            guard let parentId = self.accountId(parentOld), parentId != accountId, let account = accounts[accountId]
            else {
                report.alter(
                    collection, oldId, "compte parent inconnu (\(parentOld)) : importé comme compte principal",
                    countOnce: false)
                continue
            }
            if let parent = accounts[parentId], parent.crmId != account.crmId {
                report.alter(
                    collection, oldId, "le compte parent appartient à un autre CRM : importé comme compte principal",
                    countOnce: false)
                continue
            }
            account.parentId = parentId
            try await account.save(on: db)
        }
    }

    static func namedURLs(_ value: JSONValue?) -> [NamedURL] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap { item in
            guard case .object(let fields) = item, let url = text(fields["url"]) else { return nil }
            return NamedURL(name: text(fields["name"]) ?? "Image", url: url)
        }
    }

    func importLandingPagesAndForms(on db: any Database) async throws {
        var formLPs: [(Form, [String])] = []
        var lpForms: [(LandingPage, String)] = []
        try await forEachDocument("lps") { doc in
            let name = "lps"
            guard let id = Self.oldId(doc) else { return report.skip(name, nil, "LP sans id") }
            guard let code = V1Mapping.code(Self.text(doc["code"])) else {
                return report.skip(name, id, "code de LP absent ou illisible (« \(Self.text(doc["code"]) ?? "") »)")
            }
            guard let accountId = accountId(Self.text(doc["account_id"]) ?? Self.text(doc["sub_account_id"])) else {
                return report.skip(name, id, "compte inconnu")
            }
            let fingerprint = Self.fingerprint(doc)
            let page =
                link(name, id).flatMap { l in landingPagesByCode.values.first { $0.id == l.newId } }
                ?? landingPagesByCode[code] ?? LandingPage()
            let change = self.change(existing: page.id, name, id, fingerprint)
            if case .unchanged = change {
                remember(name, id, page.id!, fingerprint)
                return counted(name, change)
            }
            if code != Self.text(doc["code"]) {
                report.alter(name, id, "code « \(Self.text(doc["code"])!) » gardé comme \(code)")
            }
            page.organizationId = organizationId
            page.accountId = accountId
            page.code = code
            page.name = String((Self.text(doc["name"]) ?? code).prefix(200))
            page.url = Self.text(doc["url"]).flatMap { Check.isHTTPURL($0) ? $0 : nil }
            page.diffusionSourceId = try await source(
                named: Self.text(doc["source_name"]), category: Self.text(doc["source_type"]), on: db)?.id
            page.kindRaw = V1Mapping.landingPageKind(Self.text(doc["lp_type"])).rawValue
            page.notes = Self.text(doc["notes"])
            page.statusRaw = V1Mapping.publication(Self.text(doc["status"])).rawValue
            try await page.save(on: db)
            landingPagesByCode[code] = page
            remember(name, id, try page.requireID(), fingerprint)
            counted(name, change)
            if let form = Self.text(doc["form_id"]) { lpForms.append((page, form)) }
        }
        try await forEachDocument("forms") { doc in
            let name = "forms"
            guard let id = Self.oldId(doc) else { return report.skip(name, nil, "formulaire sans id") }
            guard let code = V1Mapping.code(Self.text(doc["code"])) else {
                return report.skip(
                    name, id, "code de formulaire absent ou illisible (« \(Self.text(doc["code"]) ?? "") »)")
            }
            guard let accountId = accountId(Self.text(doc["account_id"]) ?? Self.text(doc["sub_account_id"])) else {
                return report.skip(name, id, "compte inconnu")
            }
            let fingerprint = Self.fingerprint(doc)
            let form = link(name, id).flatMap { forms[$0.newId] } ?? formsByCode[code] ?? Form()
            let change = self.change(existing: form.id, name, id, fingerprint)
            if case .unchanged = change {
                remember(name, id, form.id!, fingerprint)
                return counted(name, change)
            }
            if code != Self.text(doc["code"]) {
                report.alter(name, id, "code « \(Self.text(doc["code"])!) » gardé comme \(code)")
            }
            form.organizationId = organizationId
            form.accountId = accountId
            form.code = code
            form.name = String((Self.text(doc["name"]) ?? code).prefix(200))
            form.url = Self.text(doc["url"]).flatMap { Check.isHTTPURL($0) ? $0 : nil }
            if let product = V1Mapping.product(Self.text(doc["product_type"])) {
                form.productType = product
            } else {
                form.productType = "PV"
                report.alter(name, id, "type de produit « \(Self.text(doc["product_type"]) ?? "absent") » inconnu : PV")
            }
            let (tracking, trackingChanged) = V1Mapping.trackingType(Self.text(doc["tracking_type"]))
            form.trackingType = tracking
            if trackingChanged {
                report.alter(
                    name, id, "suivi « \(Self.text(doc["tracking_type"]) ?? "") » : \(tracking.rawValue)",
                    countOnce: false)
            }
            let redirect = Self.text(doc["redirect_url_override"]) ?? Self.text(doc["redirect_url"])
            form.thankYouURL = redirect.flatMap { Check.isHTTPURL($0) ? $0 : nil }
            form.thankYouRedirect = Self.text(doc["redirect_url_name"]).flatMap { Check.isHTTPURL($0) ? nil : $0 }
            form.excludeFromRouting = doc["exclude_from_routing"]?.bool ?? false
            if form.id == nil {
                form.metropolitanOnly = false
                form.formKey = FormService.newFormKey()
                form.allowedOriginsJSON = "[]"
            }
            form.notes = Self.text(doc["notes"])
            form.statusRaw = V1Mapping.publication(Self.text(doc["status"])).rawValue
            if let token = Self.text(doc["crm_api_key"]) ?? Self.text(doc["api_key"]) {
                form.crmTokenSealed = try app.secretBox.seal(token)
            }
            try await form.save(on: db)
            let newId = try form.requireID()
            forms[newId] = form
            formsByCode[code] = form
            remember(name, id, newId, fingerprint)
            counted(name, change)
            if let key = Self.text(doc["internal_api_key"]) {
                try await V1CompatService.keepFormKey(
                    key, formId: newId, organizationId: organizationId, now: now, on: db)
            }
            if case .array(let items)? = doc["lp_ids"] { formLPs.append((form, items.compactMap { Self.text($0) })) }
            if let lp = Self.text(doc["lp_id"]) { formLPs.append((form, [lp])) }
        }
        // LeadHub links a landing page to one form.
        for (form, oldPages) in formLPs {
            for old in oldPages {
                guard let pageId = link("lps", old)?.newId,
                    let page = landingPagesByCode.values.first(where: { $0.id == pageId })
                else { continue }
                if page.formId != form.id {
                    page.formId = form.id
                    try await page.save(on: db)
                }
            }
        }
        for (page, oldForm) in lpForms where page.formId == nil {
            if let formId = link("forms", oldForm)?.newId {
                page.formId = formId
                try await page.save(on: db)
            }
        }
    }

    func importUsers(on db: any Database) async throws {
        let name = "users"
        try await forEachDocument(name) { doc in
            let id = Self.oldId(doc) ?? Self.text(doc["email"]) ?? "?"
            guard let email = Self.text(doc["email"]).flatMap(EmailAddress.normalize) else {
                return report.skip(name, id, "adresse e-mail absente ou invalide")
            }
            let fingerprint = Self.fingerprint(doc)
            let existing = try await User.query(on: db).filter(\.$email == email).first()
            if let existing, existing.organizationId != organizationId {
                return report.skip(name, id, "\(email) est déjà utilisateur d'une autre organisation")
            }
            let user = existing ?? User()
            let change = self.change(existing: user.id, name, id, fingerprint)
            if case .unchanged = change {
                remember(name, id, user.id!, fingerprint)
                usersByOldId[id] = user
                return counted(name, change)
            }
            let (role, roleChanged) = V1Mapping.role(Self.text(doc["role"]))
            if roleChanged { report.alter(name, id, "rôle « \(Self.text(doc["role"]) ?? "absent") » : lecteur") }
            var accountIds: [UUID] = []
            if case .array(let items)? = doc["allowed_accounts"] {
                for item in items {
                    if let mapped = accountId(Self.text(item)) {
                        accountIds.append(mapped)
                    } else {
                        report.alter(
                            name, id, "compte autorisé inconnu (\(Self.text(item) ?? "?")) retiré", countOnce: false)
                    }
                }
                if !items.isEmpty, accountIds.isEmpty {
                    // Limited to accounts that no longer exist: keep the user limited, to nothing.
                    report.alter(
                        name, id,
                        "aucun de ses comptes autorisés n'existe : il ne voit rien tant qu'un admin ne lui en donne pas"
                    )
                }
            }
            user.organizationId = organizationId
            user.email = email
            user.name = String((Self.text(doc["nom"]) ?? Self.text(doc["name"]) ?? email).prefix(100))
            user.role = role
            user.accountIds = accountIds
            if user.id == nil {
                user.crmIds = []
                user.active = doc["is_active"]?.bool ?? true
                // The first version's unsalted SHA-256 hashes are not kept: a one-time password instead.
                let password = Secrets.token(prefix: "", bytes: 12)
                user.passwordHash = try await app.password.async.hash(password).get()
                report.passwords.append(.init(email: email, password: password))
            }
            try await user.save(on: db)
            remember(name, id, try user.requireID(), fingerprint)
            usersByOldId[id] = user
            counted(name, change)
        }
    }
}
