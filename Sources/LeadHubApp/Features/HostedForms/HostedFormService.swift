import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// The back office's side of hosted forms: the draft, publication (a new immutable version),
/// the consent partners, the step drop-off, and the clean-up of old partial answers.
enum HostedFormService {
    /// Partial answers without a new answer for this long are « abandonné ».
    static let abandonAfter: TimeInterval = 30 * 60
    /// Partial answers are deleted after this long.
    static let keepSessions: TimeInterval = 30 * 86_400
    static let maxDefinitionBytes = 200_000

    static func decode(_ json: String) -> FormDefinition? {
        try? JSONDecoder().decode(FormDefinition.self, from: Data(json.utf8))
    }

    static func encode(_ definition: FormDefinition) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return String(decoding: (try? encoder.encode(definition)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Reads a definition typed or built in the builder; errors in French, keyed `definition`.
    static func parse(_ json: String) -> Result<FormDefinition, FieldErrors> {
        guard json.utf8.count <= maxDefinitionBytes else {
            return .failure(FieldErrors(["definition": ["Définition trop longue (200 Ko au plus)."]]))
        }
        do {
            return .success(try JSONDecoder().decode(FormDefinition.self, from: Data(json.utf8)))
        } catch let DecodingError.dataCorrupted(context) {
            return .failure(
                FieldErrors(["definition": ["JSON illisible : \(context.debugDescription.prefix(200))"]]))
        } catch let DecodingError.keyNotFound(key, context) {
            return .failure(
                FieldErrors(["definition": ["« \(key.stringValue) » manque (\(path(context.codingPath)))."]]))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            return .failure(FieldErrors(["definition": ["Valeur invalide à \(path(context.codingPath))."]]))
        } catch {
            return .failure(FieldErrors(["definition": ["Définition illisible."]]))
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        let text = keys.map { key in key.intValue.map { "[\($0)]" } ?? "." + key.stringValue }.joined()
        return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "la racine" : text)
    }

    /// The draft of a form: what the builder saved, else the template of its product (PV, PAC,
    /// ITE), else the PV one.
    static func draft(of form: Form) -> FormDefinition {
        if let json = form.draftDefinition, let definition = decode(json) { return definition }
        return (FormTemplates.all.first { $0.productType == form.productType } ?? FormTemplates.all[0]).definition
    }

    static func saveDraft(_ definition: FormDefinition, form: Form, scope: TenantScope, now: Date, on db: any Database)
        async throws
    {
        try scope.require(.edit)
        form.draftDefinition = encode(definition)
        if form.hosting == nil { form.hosting = "hosted" }
        try await form.save(on: db)
    }

    /// Publishes the draft as the next version; refused (with the problems) when it cannot be
    /// served. The form becomes hosted and its address is the hosted page's.
    static func publish(form: Form, publicBase: String, scope: TenantScope, now: Date, on db: any Database) async throws
        -> Int
    {
        try scope.require(.edit)
        let definition = draft(of: form)
        let problems = definition.problems()
        guard problems.isEmpty else { throw problems }
        let organization = try await Organization.find(scope.organizationId, on: db)
        let formId = try form.requireID()
        return try await db.transaction { tx in
            let last = try await HostedFormVersion.query(on: tx).filter(\.$formId == formId).max(\.$version) ?? 0
            let version = HostedFormVersion()
            version.organizationId = scope.organizationId
            version.formId = formId
            version.version = last + 1
            version.definitionJSON = encode(definition)
            version.publishedBy = scope.userId
            version.publishedAt = now
            try await version.create(on: tx)
            form.hosting = "hosted"
            form.draftDefinition = encode(definition)
            form.publishedVersion = last + 1
            form.url = publicURL(base: publicBase, slug: organization?.slug ?? "", code: form.code)
            try await form.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "form", objectId: formId,
                summary: "Formulaire hébergé \(form.code) publié (version \(last + 1))", scope: scope, at: now, on: tx)
            return last + 1
        }
    }

    static func publicURL(base: String, slug: String, code: String) -> String {
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return trimmed + "/f/" + code + "?org=" + slug
    }

    static func versions(of form: Form, scope: TenantScope, on db: any Database) async throws -> [HostedFormVersion] {
        try await scope.query(HostedFormVersion.self, on: db).filter(\.$formId == form.requireID())
            .sort(\.$version, .descending).all()
    }

    // MARK: - Consent partners

    static func currentPartners(organizationId: UUID, on db: any Database) async throws -> ConsentPartnerList? {
        try await ConsentPartnerList.query(on: db).filter(\.$organizationId == organizationId)
            .sort(\.$version, .descending).first()
    }

    /// Saves the partners' list as a new version (unless it is unchanged). One name per line.
    static func savePartners(_ text: String, scope: TenantScope, now: Date, on db: any Database) async throws
        -> ConsentPartnerList
    {
        try scope.require(.manageOrganization)
        var names: [String] = []
        var errors = FieldErrors()
        for line in text.split(whereSeparator: \.isNewline) {
            let name = line.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { continue }
            if name.count > 120 { errors.add("partners", "Un nom de partenaire fait 120 caractères au plus.") }
            if !names.contains(name) { names.append(name) }
        }
        if names.count > 200 { errors.add("partners", "200 partenaires au plus.") }
        if !errors.isEmpty { throw errors }
        let current = try await currentPartners(organizationId: scope.organizationId, on: db)
        if let current, current.partners == names { return current }
        let partners = names
        return try await db.transaction { tx in
            let list = ConsentPartnerList()
            list.organizationId = scope.organizationId
            list.version = (current?.version ?? 0) + 1
            list.partnersJSON = JSONText.encode(partners)
            list.createdBy = scope.userId
            list.createdAt = now
            try await list.create(on: tx)
            try await ActivityService.record(
                .update, objectType: "organization", objectId: scope.organizationId,
                summary:
                    "Liste des partenaires du consentement : version \(list.version) (\(partners.count) partenaires)",
                scope: scope, at: now, on: tx)
            return list
        }
    }

    // MARK: - Form page

    struct Summary: Encodable {
        let isHosted: Bool
        let version: Int?
        let url: String?
        let builderURL: String
        let dropOff: DropOff?
    }

    static func summary(_ form: Form, base: String, scope: TenantScope, now: Date, on db: any Database) async throws
        -> Summary
    {
        let organization = try await Organization.find(scope.organizationId, on: db)
        let published = form.isHosted && form.publishedVersion != nil
        return Summary(
            isHosted: form.isHosted, version: form.publishedVersion,
            url: published ? publicURL(base: base, slug: organization?.slug ?? "", code: form.code) : nil,
            builderURL: "/forms/\(try form.requireID().uuidString)/builder",
            dropOff: published ? try await dropOff(form: form, scope: scope, now: now, on: db) : nil)
    }

    // MARK: - Drop-off

    struct StepDropOff: Encodable {
        let position: Int
        let title: String
        /// Sessions that reached this screen.
        let reached: Int
        /// Of them, the share that reached the next one (or completed), in percent.
        let continued: String
        /// Sessions whose walk stopped here (abandoned or still in progress).
        let stopped: Int
    }

    struct DropOff: Encodable {
        let sessions: Int
        let completed: Int
        let disqualified: Int
        let abandoned: Int
        let inProgress: Int
        let steps: [StepDropOff]
    }

    /// How far the walks of the last 30 days went, screen by screen.
    static func dropOff(form: Form, scope: TenantScope, now: Date, on db: any Database) async throws -> DropOff {
        let sessions = try await scope.query(FormSession.self, on: db).filter(\.$formId == form.requireID())
            .filter(\.$startedAt >= now.addingTimeInterval(-keepSessions)).all()
        let definition = try await publishedDefinition(form, on: db) ?? draft(of: form)
        let flow = definition.steps.filter(\.kind.isQuestionFlow)
        var counts = (completed: 0, disqualified: 0, abandoned: 0, inProgress: 0)
        var reached = Array(repeating: 0, count: flow.count + 1)
        var stopped = Array(repeating: 0, count: flow.count + 1)
        for session in sessions {
            let status = effectiveStatus(session, now: now)
            switch status {
            case .completed: counts.completed += 1
            case .disqualified: counts.disqualified += 1
            case .abandoned: counts.abandoned += 1
            case .inProgress: counts.inProgress += 1
            }
            let furthest = min(max(session.furthestPosition, 1), flow.count)
            for position in 1...max(furthest, 1) where position <= flow.count { reached[position] += 1 }
            if status == .abandoned || status == .inProgress { stopped[furthest] += 1 }
        }
        let steps = flow.enumerated().map { index, step -> StepDropOff in
            let position = index + 1
            let next = position < flow.count ? reached[position + 1] : counts.completed
            let share = DashboardStats.percent(next, reached[position])
            return StepDropOff(
                position: position, title: step.title, reached: reached[position], continued: share,
                stopped: stopped[position])
        }
        return DropOff(
            sessions: sessions.count, completed: counts.completed, disqualified: counts.disqualified,
            abandoned: counts.abandoned, inProgress: counts.inProgress, steps: steps)
    }

    static func publishedDefinition(_ form: Form, on db: any Database) async throws -> FormDefinition? {
        guard let version = form.publishedVersion else { return nil }
        return try await HostedFormVersion.query(on: db).filter(\.$formId == form.requireID())
            .filter(\.$version == version).first()?.definition
    }

    /// A walk in progress with no answer for 30 minutes counts as abandoned even before the
    /// clean-up job marks it.
    static func effectiveStatus(_ session: FormSession, now: Date) -> FormSession.Status {
        if session.status == .inProgress, now.timeIntervalSince(session.updatedAt) > abandonAfter { return .abandoned }
        return session.status
    }

    /// The background job: marks stale walks abandoned and deletes those older than 30 days.
    static func cleanUp(app: Application, now: Date) async throws -> (abandoned: Int, deleted: Int) {
        let sql = app.db as! any SQLDatabase
        let abandoned = try await sql.raw(
            """
            UPDATE "form_sessions" SET "status" = 'abandoned', "ended_at" = "updated_at"
            WHERE "status" = 'in_progress' AND "updated_at" < \(bind: now.addingTimeInterval(-abandonAfter))
            RETURNING "id"
            """
        ).all().count
        let deleted = try await sql.raw(
            """
            DELETE FROM "form_sessions" WHERE "started_at" < \(bind: now.addingTimeInterval(-keepSessions))
            RETURNING "id"
            """
        ).all().count
        return (abandoned, deleted)
    }

    // MARK: - Safe values for the public page

    /// `#1f5fbf`-style colors only: the value goes into a style attribute.
    static func safeColor(_ raw: String?) -> String? {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), raw.hasPrefix("#"),
            [4, 7].contains(raw.count), raw.dropFirst().allSatisfy(\.isHexDigit)
        else { return nil }
        return raw
    }

    /// http(s) addresses only (a redirect or an image).
    static func safeURL(_ raw: String?) -> String? {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        let lower = raw.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") || raw.hasPrefix("/") else { return nil }
        return raw
    }
}
