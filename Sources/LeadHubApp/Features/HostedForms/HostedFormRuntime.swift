import Fluent
import Foundation
import LeadHubCore
import Vapor

/// A published hosted form as its public page needs it: the version served, the account's
/// branding and tags, the consent block with the organization's partners. Cached like the
/// intake's lookups (emptied by any change through Fluent, 5 s across servers).
struct HostedFormRuntime: Sendable {
    struct Branding: Sendable {
        var accountName: String
        var logoURL: String?
        var faviconURL: String?
        var primaryColor: String
        var secondaryColor: String
        var privacyPolicy: String?
        var legalMentions: String?
        var cgu: String?
        var gtmHead: String?
        var gtmConversion: String?
    }

    let formId: UUID
    let organizationId: UUID
    let organizationSlug: String
    let accountId: UUID
    let crmId: UUID
    let code: String
    let name: String
    let productType: String
    let active: Bool
    let version: Int
    let definition: FormDefinition
    let branding: Branding
    let consent: ConsentWording?
    let thankYouRedirect: String?
    /// The first screen as a first visit sees it, rendered once per cached runtime around the
    /// visitor's carried parameters (the only part that differs between first visits).
    var firstScreen: HostedFormPage.Split? = nil

    /// The form as the stats count it (the same dimensions as its events).
    func hourKey(at now: Date) -> StatsIncrements.HourKey {
        StatsIncrements.HourKey(
            organizationId: organizationId, hour: StatsHour.bucket(now), lp: "", form: formId.text,
            account: accountId.text, crm: crmId.text, source: "", product: productType)
    }

    /// The published form `code` of the organization whose tracking id is `slug`; nil when there
    /// is none (or it is not hosted, or never published).
    static func load(slug: String, code: String, now: Date, on db: any Database, cache: IntakeCache) async throws
        -> HostedFormRuntime?
    {
        try await cache.hostedForms.value(slug + "|" + code, now: now) { () async throws -> HostedFormRuntime? in
            guard let organization = try await Organization.query(on: db).filter(\.$slug == slug).first(),
                let form = try await Form.query(on: db).filter(\.$organizationId == organization.requireID())
                    .filter(\.$code == code).first(),
                form.isHosted, let version = form.publishedVersion,
                let published = try await HostedFormVersion.query(on: db).filter(\.$formId == form.requireID())
                    .filter(\.$version == version).first(),
                let definition = published.definition,
                let account = try await Account.find(form.accountId, on: db)
            else { return nil }
            return try await make(
                form: form, version: version, definition: definition, account: account, organization: organization,
                on: db)
        }
    }

    static func make(
        form: Form, version: Int, definition: FormDefinition, account: Account, organization: Organization,
        on db: any Database
    ) async throws -> HostedFormRuntime {
        var consent: ConsentWording? = nil
        if let field = definition.fields.first(where: { $0.kind == .consent }) {
            let list = try await HostedFormService.currentPartners(organizationId: organization.requireID(), on: db)
            consent = ConsentWording(field: field, partners: list?.partners ?? [], partnersVersion: list?.version)
        }
        var runtime = HostedFormRuntime(
            formId: try form.requireID(), organizationId: try organization.requireID(),
            organizationSlug: organization.slug,
            accountId: form.accountId, crmId: account.crmId, code: form.code, name: form.name,
            productType: form.productType, active: form.status == .active, version: version, definition: definition,
            branding: Branding(
                accountName: account.name, logoURL: account.logoMainURL ?? account.logoSmallURL,
                faviconURL: account.faviconURL,
                primaryColor: HostedFormService.safeColor(account.primaryColor) ?? "#1f5fbf",
                secondaryColor: HostedFormService.safeColor(account.secondaryColor) ?? "#0f2f5f",
                privacyPolicy: account.privacyPolicy, legalMentions: account.legalMentions, cgu: account.cgu,
                gtmHead: account.gtmHead, gtmConversion: account.gtmConversion),
            consent: consent,
            thankYouRedirect: HostedFormService.safeURL(
                form.thankYouURL ?? account.redirectURLs.first { $0.name == form.thankYouRedirect }?.url))
        runtime.firstScreen = HostedFormPage.firstScreen(of: runtime)
        return runtime
    }
}
