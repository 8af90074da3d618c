import Fluent
import Foundation
import LeadHubCore
import Vapor

/// What tracking needs to know about an organization's pages, resolved from the public codes
/// events carry and kept in the intake cache (emptied on any change, like the lead lookups).
struct TrackedPage: Sendable {
    let id: UUID
    let organizationId: UUID
    let code: String
    let accountId: UUID
    let crmId: UUID
    let sourceId: UUID?
    /// The form the page leads to, with its address and product.
    let formId: UUID?
    let formCode: String?
    let formURL: String?
    let productType: String?
    let active: Bool
}

struct TrackedForm: Sendable {
    let id: UUID
    let organizationId: UUID
    let code: String
    let accountId: UUID
    let crmId: UUID
    let productType: String
    let url: String?
    let active: Bool
}

extension IntakeCache {
    /// The organization behind a public tracking id (its slug).
    func organization(slug: String, now: Date, on db: any Database) async throws -> UUID? {
        try await trackingOrganizations.value(slug, now: now) { () async throws -> UUID? in
            try await Organization.query(on: db).filter(\.$slug == slug).first()?.requireID()
        }
    }

    func trackedPage(code: String, organizationId: UUID, now: Date, on db: any Database) async throws -> TrackedPage? {
        try await trackedPages.value(organizationId.text + ":" + code, now: now) {
            () async throws -> TrackedPage? in
            guard
                let page = try await LandingPage.query(on: db).filter(\.$organizationId == organizationId)
                    .filter(\.$code == code).first(),
                let account = try await Account.find(page.accountId, on: db)
            else { return nil }
            let form = try await page.formId.asyncMap { try await Form.find($0, on: db) } ?? nil
            return TrackedPage(
                id: try page.requireID(), organizationId: organizationId, code: page.code, accountId: page.accountId,
                crmId: account.crmId, sourceId: page.diffusionSourceId, formId: form?.id, formCode: form?.code,
                formURL: form?.url, productType: form?.productType, active: page.status == .active)
        }
    }

    func trackedForm(code: String, organizationId: UUID, now: Date, on db: any Database) async throws -> TrackedForm? {
        try await trackedForms.value(organizationId.text + ":" + code, now: now) {
            () async throws -> TrackedForm? in
            guard
                let form = try await Form.query(on: db).filter(\.$organizationId == organizationId)
                    .filter(\.$code == code).first(),
                let account = try await Account.find(form.accountId, on: db)
            else { return nil }
            return TrackedForm(
                id: try form.requireID(), organizationId: organizationId, code: form.code, accountId: form.accountId,
                crmId: account.crmId, productType: form.productType, url: form.url, active: form.status == .active)
        }
    }
}
