import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// "Compatibilité première version" in Paramètres: how many first-version calls the organization
/// still receives and from which pages, and the switch that stops answering them.
enum V1CompatService {
    static let usageDays = 7

    struct PageUsage: Content, Equatable {
        let endpoint: String
        let label: String
        let pageCode: String
        let calls: Int
        let lastAt: Date

        enum CodingKeys: String, CodingKey {
            case endpoint, label, pageCode = "page_code", calls, lastAt = "last_at"
        }
    }

    struct Usage: Content {
        let enabled: Bool
        let days: Int
        let totalCalls: Int
        let pages: [PageUsage]

        enum CodingKeys: String, CodingKey { case enabled, days, totalCalls = "total_calls", pages }
    }

    /// The last `usageDays` Paris days (today included), counts flushed so far.
    static func usage(scope: TenantScope, now: Date, on db: any Database) async throws -> Usage {
        guard let organization = try await Organization.find(scope.organizationId, on: db) else {
            throw AppError.notFound
        }
        let days = (0..<usageDays).map { ParisDay.text(now.addingTimeInterval(Double(-$0) * 86_400)) }
        let rows = try await (db as! any SQLDatabase).select()
            // PostgreSQL sums bigints as numeric: cast back so that both databases answer an integer.
            .column("endpoint").column(SQLRaw("CAST(SUM(calls) AS BIGINT)"), as: "calls")
            .column(SQLFunction("MAX", args: SQLColumn("last_at")), as: "last_at").column("page_code")
            .from("v1_calls")
            .where("organization_id", .equal, scope.organizationId)
            .where("day", .in, days)
            .groupBy("endpoint").groupBy("page_code")
            .all()
        var pages: [PageUsage] = []
        for row in rows {
            let endpoint = try row.decode(column: "endpoint", as: String.self)
            pages.append(
                PageUsage(
                    endpoint: endpoint, label: V1Compat.Endpoint(rawValue: endpoint)?.label ?? endpoint,
                    pageCode: try row.decode(column: "page_code", as: String.self),
                    calls: try row.decode(column: "calls", as: Int.self),
                    lastAt: try row.decode(column: "last_at", as: Date.self)))
        }
        pages.sort { ($0.calls, $1.pageCode) > ($1.calls, $0.pageCode) }
        return Usage(
            enabled: organization.v1CompatEnabled, days: usageDays, totalCalls: pages.reduce(0) { $0 + $1.calls },
            pages: pages)
    }

    /// Turns the first version's calls on or off for the organization (admins; logged).
    static func setEnabled(_ enabled: Bool, scope: TenantScope, now: Date, on db: any Database) async throws {
        try scope.require(.manageOrganization)
        guard let organization = try await Organization.find(scope.organizationId, on: db) else {
            throw AppError.notFound
        }
        guard organization.v1CompatEnabled != enabled else { return }
        try await db.transaction { db in
            organization.v1CompatEnabled = enabled
            try await organization.save(on: db)
            try await ActivityService.record(
                .update, objectType: "organization", objectId: organization.id,
                summary: enabled
                    ? "Compatibilité première version activée (clé globale, clés de formulaire, /api/submit-lead, /api/track/*)"
                    : "Compatibilité première version désactivée : les appels des pages de la première version sont refusés",
                scope: scope, at: now, on: db)
        }
    }

    static let globalKeyName = "Clé globale de la première version"

    /// Keeps the first version's global key valid (`Authorization: Token crm_…`): an organization
    /// key like the others, stored hashed, listed and revocable in Paramètres. Idempotent.
    @discardableResult
    static func keepGlobalKey(_ raw: String, organizationId: UUID, now: Date, on db: any Database) async throws -> Bool
    {
        let hash = Secrets.sha256Hex(raw)
        if let existing = try await OrganizationApiKey.query(on: db).filter(\.$keyHash == hash).first() {
            guard existing.organizationId == organizationId else {
                throw FieldErrors(["system_config": ["Cette clé globale appartient déjà à une autre organisation."]])
            }
            return false
        }
        let key = OrganizationApiKey()
        key.organizationId = organizationId
        key.name = globalKeyName
        key.keyHash = hash
        key.prefix = String(raw.prefix(12))
        key.createdBy = "import-v1"
        key.createdAt = now
        try await key.create(on: db)
        return true
    }

    /// Keeps a first-version form key (`internal_api_key`) valid for `/api/submit-lead`. Idempotent.
    @discardableResult
    static func keepFormKey(_ raw: String, formId: UUID, organizationId: UUID, now: Date, on db: any Database)
        async throws -> Bool
    {
        let hash = Secrets.sha256Hex(raw)
        if let existing = try await V1FormKey.query(on: db).filter(\.$keyHash == hash).first() {
            guard existing.organizationId == organizationId else {
                throw FieldErrors([
                    "internal_api_key": ["Cette clé de formulaire appartient déjà à une autre organisation."]
                ])
            }
            if existing.formId != formId {
                existing.formId = formId
                try await existing.save(on: db)
            }
            return false
        }
        let key = V1FormKey()
        key.organizationId = organizationId
        key.formId = formId
        key.keyHash = hash
        key.prefix = String(raw.prefix(8))
        key.createdAt = now
        try await key.create(on: db)
        return true
    }

    struct SwitchInput: Content {
        var enabled: String?
    }

    @Sendable static func show(req: Request) async throws -> Usage {
        try await usage(scope: try req.tenantScope(), now: req.now, on: req.db)
    }

    /// `PATCH /api/admin/v1-compat` `{"enabled": false}`.
    @Sendable static func patch(req: Request) async throws -> Usage {
        struct Input: Content { var enabled: Bool? }
        let scope = try req.tenantScope()
        guard let enabled = try req.content.decode(Input.self).enabled else {
            throw FieldErrors(["enabled": ["Valeur attendue : true ou false."]])
        }
        try await setEnabled(enabled, scope: scope, now: req.now, on: req.db)
        return try await usage(scope: scope, now: req.now, on: req.db)
    }

    /// The settings page's switch.
    @Sendable static func post(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let enabled = (try? req.content.decode(SwitchInput.self).enabled) == "on"
        try await setEnabled(enabled, scope: scope, now: req.now, on: req.db)
        return req.redirect(
            to: "/settings#premiere-version",
            flash: enabled
                ? "Les appels de la première version sont de nouveau acceptés."
                : "Les appels de la première version sont désormais refusés.")
    }
}
