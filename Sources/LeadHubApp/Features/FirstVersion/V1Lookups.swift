import Fluent
import Foundation
import LeadHubCore
import SQLKit
import Vapor

/// The intake cache's first-version lookups: which organizations answer the first version's
/// calls, its form keys, its form ids and its page codes (kept a few seconds like the others).
extension IntakeCache {
    /// Organizations that answer the first version's calls, oldest first.
    func v1Organizations(now: Date, on db: any Database) async throws -> [UUID] {
        try await v1Organizations.value("all", now: now) { () async throws -> [UUID]? in
            try await Organization.query(on: db).filter(\.$v1CompatEnabled == true).sort(\.$createdAt).all()
                .compactMap(\.id)
        } ?? []
    }

    func v1Enabled(organizationId: UUID, now: Date, on db: any Database) async throws -> Bool {
        try await v1Organizations(now: now, on: db).contains(organizationId)
    }

    /// The form of a first-version form key, if its organization still answers first-version calls.
    func v1Form(key raw: String, now: Date, on db: any Database) async throws -> IntakeForm? {
        let hash = Secrets.sha256Hex(raw)
        guard
            let formId = try await v1FormKeys.value(
                hash, now: now,
                load: { () async throws -> UUID? in
                    try await V1FormKey.query(on: db).filter(\.$keyHash == hash).first()?.formId
                })
        else { return nil }
        guard let form = try await self.form(id: formId, now: now, on: db),
            try await v1Enabled(organizationId: form.organizationId, now: now, on: db)
        else { return nil }
        return form
    }

    /// The form a first-version `form_id` names in an organization: LeadHub's id, the first
    /// version's id (through the import's map), or the form's code.
    func v1Form(named raw: String, organizationId: UUID, now: Date, on db: any Database) async throws -> IntakeForm? {
        let name = raw.trimmedText
        if let id = UUID(uuidString: name), let form = try await form(id: id, now: now, on: db),
            form.organizationId == organizationId
        {
            return form
        }
        let mapped = try await v1FormIds.value(organizationId.uuidString + ":" + name, now: now) {
            () async throws -> UUID? in
            try await V1IdLink.query(on: db).filter(\.$organizationId == organizationId)
                .filter(\.$collection == "forms").filter(\.$oldId == name).first()?.newId
        }
        if let mapped, let form = try await form(id: mapped, now: now, on: db), form.organizationId == organizationId {
            return form
        }
        guard let code = V1Mapping.code(name) else { return nil }
        return try await form(code: code, organizationId: organizationId, now: now, on: db)
    }

    /// The first organization answering first-version calls that has this landing page (the first
    /// version's tracking calls name no organization).
    func v1TrackedPage(code: String, now: Date, on db: any Database) async throws -> (UUID, TrackedPage)? {
        for organizationId in try await v1Organizations(now: now, on: db) {
            if let page = try await trackedPage(code: code, organizationId: organizationId, now: now, on: db) {
                return (organizationId, page)
            }
        }
        return nil
    }

    func v1TrackedForm(code: String, now: Date, on db: any Database) async throws -> (UUID, TrackedForm)? {
        for organizationId in try await v1Organizations(now: now, on: db) {
            if let form = try await trackedForm(code: code, organizationId: organizationId, now: now, on: db) {
                return (organizationId, form)
            }
        }
        return nil
    }
}
