import LeadHubCore
import Vapor

/// THE route table: every route of LeadHub and the group (auth, tenant) it belongs to.
///
/// Route parameters are named after the object they identify (`crm_id`, `account_id`…): the
/// cross-tenant test walks this table and needs to know which object to try for each.
func routes(_ app: Application) throws {
    // Public: operations probes.
    let health = HealthController()
    app.get("health", use: health.health)
    app.get("ready", use: health.ready)
    app.get("metrics", use: health.metrics)

    // Public: the lead API (organization keys and form keys, checked by the handler).
    let intake = IntakeController()
    app.on(.OPTIONS, "api", "v1", "leads", use: intake.preflight)
    app.on(.POST, "api", "v1", "leads", body: .collect(maxSize: "1mb"), use: intake.submit)
    // Public: a CRM returns a lead it bought (its returns key, checked by the handler).
    app.on(.POST, "api", "v1", "returns", body: .collect(maxSize: "64kb"), use: ReturnsPublicController().create)

    // Public: tracking (the script, events, redirect links; the organization is named in them).
    let tracking = TrackingController()
    app.get("t.js", use: tracking.script)
    app.on(.OPTIONS, "api", "v1", "events", use: tracking.preflight)
    app.on(.POST, "api", "v1", "events", body: .collect(maxSize: "256kb"), use: tracking.events)
    app.get("r", ":lp_code", use: tracking.ctaRedirect)
    app.get("go", ":form_code", use: tracking.formRedirect)
    // Public: hosted forms (the organization's tracking id in `org`; see HostedForms/).
    let hosted = HostedFormController()
    app.get("f", "embed.js", use: hosted.embedScript)
    app.get("f", ":form_code", use: hosted.show)
    app.on(.POST, "f", ":form_code", body: .collect(maxSize: "64kb"), use: hosted.answer)
    app.get("f", ":form_code", "communes", use: hosted.communes)
    // Public: the entry link of an A/B campaign (assigns the visitor, then redirects).
    app.get("c", ":campaign_code", use: CampaignEntryController().enter)

    // Public: the first version's calls, for its live pages (organizations that answer them,
    // see FirstVersion/): its form-key lead call and its tracking calls, answered as it did.
    app.on(.OPTIONS, "api", "submit-lead", use: intake.preflight)
    app.on(.POST, "api", "submit-lead", body: .collect(maxSize: "1mb"), use: intake.submitV1)
    let v1Tracking = V1TrackingController()
    for call in V1Compat.TrackCall.allCases {
        app.on(.OPTIONS, "api", "track", PathComponent(stringLiteral: call.rawValue), use: v1Tracking.preflight)
        app.on(
            .POST, "api", "track", PathComponent(stringLiteral: call.rawValue), body: .collect(maxSize: "64kb"),
            use: v1Tracking.handler(call))
    }

    // Public: the API description and its French documentation page.
    let docs = APIDocsController()
    app.get("api", "openapi.json", use: docs.openAPI)
    app.get("docs", "api", use: docs.page)

    // Public: media library files, loaded by landing pages on other sites.
    app.get("media", ":asset_file", use: MediaController().serve)

    // Public: login.
    let auth = AuthController()
    app.get("login", use: auth.loginPage)
    app.post("login", use: auth.login)
    app.post("api", "auth", "token", use: auth.issueToken)

    // Back-office pages: session cookie + CSRF on posts.
    let pages = app.grouped(PageAuthMiddleware())
    pages.post("logout", use: auth.logout)
    let dashboard = DashboardPagesController()
    pages.get(use: dashboard.index)
    pages.post("scope", use: dashboard.switchCrm)

    let crms = CrmsPagesController()
    pages.get("crms", use: crms.index)
    pages.get("crms", "new", use: crms.new)
    pages.post("crms", use: crms.create)
    pages.get("crms", ":crm_id", use: crms.edit)
    pages.post("crms", ":crm_id", use: crms.update)
    pages.post("crms", ":crm_id", "delete", use: crms.delete)
    let crmRouting = CrmRoutingPagesController()
    pages.get("crms", ":crm_id", "routing", use: crmRouting.show)
    pages.post("crms", ":crm_id", "routing", use: crmRouting.update)

    let accounts = AccountsPagesController()
    pages.get("accounts", use: accounts.index)
    pages.get("accounts", "new", use: accounts.new)
    pages.post("accounts", use: accounts.create)
    pages.get("accounts", ":account_id", use: accounts.edit)
    pages.post("accounts", ":account_id", use: accounts.update)
    pages.post("accounts", ":account_id", "delete", use: accounts.delete)

    let sources = DiffusionSourcesPagesController()
    pages.get("diffusion-sources", use: sources.index)
    pages.get("diffusion-sources", "new", use: sources.new)
    pages.post("diffusion-sources", use: sources.create)
    pages.get("diffusion-sources", ":source_id", use: sources.edit)
    pages.post("diffusion-sources", ":source_id", use: sources.update)
    pages.post("diffusion-sources", ":source_id", "delete", use: sources.delete)

    let products = ProductTypesPagesController()
    pages.get("product-types", use: products.index)
    pages.get("product-types", "new", use: products.new)
    pages.post("product-types", use: products.create)
    pages.get("product-types", ":product_type_id", use: products.edit)
    pages.post("product-types", ":product_type_id", use: products.update)
    pages.post("product-types", ":product_type_id", "delete", use: products.delete)

    let users = UsersPagesController()
    pages.get("users", use: users.index)
    pages.get("users", "new", use: users.new)
    pages.post("users", use: users.create)
    pages.get("users", ":user_id", use: users.edit)
    pages.post("users", ":user_id", use: users.update)
    pages.post("users", ":user_id", "delete", use: users.delete)

    let activity = ActivityPagesController()
    pages.get("activity", use: activity.index)

    let settings = SettingsPagesController()
    pages.get("settings", use: settings.index)
    pages.post("settings", "tokens", use: settings.createToken)
    pages.post("settings", "tokens", ":token_id", "revoke", use: settings.revokeToken)
    pages.post("settings", "password", use: settings.changePassword)
    pages.post("settings", "organization", use: OrganizationSettings.post)
    pages.post("settings", "v1-compat", use: V1CompatService.post)
    let notifications = NotificationsController()
    pages.post("settings", "notifications", use: notifications.post)
    pages.post("settings", "notifications", "test", use: notifications.postTest)
    pages.post("settings", "notifications", "summary", use: notifications.postSummary)
    let backups = BackupsPagesController()
    pages.get("settings", "backups", use: backups.index)
    pages.post("settings", "backups", use: backups.create)
    pages.get("settings", "backups", ":backup_name", use: backups.download)
    pages.post("settings", "api-keys", use: settings.createApiKey)
    pages.post("settings", "api-keys", ":api_key_id", "revoke", use: settings.revokeApiKey)

    let leads = LeadsPagesController()
    let leadsAPI = LeadsAPIController()
    pages.get("leads", use: leads.index)
    pages.get("leads", "export.csv", use: leadsAPI.export)
    pages.get("leads", "review", use: leads.review)
    let returnsPages = ReturnsPagesController()
    pages.get("returns", use: returnsPages.index)
    pages.post("returns", ":return_id", "decide", use: returnsPages.decide)
    pages.on(.POST, "returns", "import", body: .collect(maxSize: "2mb"), use: returnsPages.importCSV)
    pages.post("returns", "keys", use: returnsPages.newKey)
    pages.post("leads", ":lead_id", "return", use: returnsPages.createForLead)
    pages.post("leads", ":lead_id", "review", use: leads.reviewAction)
    pages.get("leads", "erase", use: leads.erasePage)
    pages.post("leads", "erase", use: leads.erase)
    pages.post("leads", "archive-older", use: leads.archiveOlder)
    pages.post("leads", "actions", use: leads.action)
    pages.get("leads", ":lead_id", use: leads.show)
    pages.post("leads", ":lead_id", use: leads.update)
    pages.post("leads", ":lead_id", "actions", use: leads.action)
    pages.post("leads", ":lead_id", "delivery", use: leads.delivery)

    let lps = LandingPagesPagesController()
    pages.get("landing-pages", use: lps.index)
    pages.get("landing-pages", "new", use: lps.new)
    pages.post("landing-pages", use: lps.create)
    pages.get("landing-pages", ":landing_page_id", use: lps.edit)
    pages.post("landing-pages", ":landing_page_id", use: lps.update)
    pages.post("landing-pages", ":landing_page_id", "actions", use: lps.act)
    pages.post("landing-pages", ":landing_page_id", "comments", use: lps.comment)
    let lpBrief = BriefController(origin: "lp")
    pages.get("landing-pages", ":landing_page_id", "brief", use: lpBrief.page)
    pages.get("landing-pages", ":landing_page_id", "brief", "download", use: lpBrief.brief)
    pages.get("landing-pages", ":landing_page_id", "brief", "check", use: lpBrief.pageCheck)

    let forms = FormsPagesController()
    pages.get("forms", use: forms.index)
    pages.get("forms", "new", use: forms.new)
    pages.post("forms", use: forms.create)
    pages.get("forms", ":form_id", use: forms.edit)
    pages.post("forms", ":form_id", use: forms.update)
    pages.post("forms", ":form_id", "actions", use: forms.act)
    pages.post("forms", ":form_id", "comments", use: forms.comment)
    let formBrief = BriefController(origin: "form")
    pages.get("forms", ":form_id", "brief", use: formBrief.page)
    pages.get("forms", ":form_id", "brief", "download", use: formBrief.brief)
    pages.get("forms", ":form_id", "brief", "check", use: formBrief.pageCheck)
    let builder = FormBuilderController()
    pages.get("forms", ":form_id", "builder", use: builder.page)
    // A definition is a few tens of kilobytes (the PV template is over the 16 kB default).
    pages.on(.POST, "forms", ":form_id", "builder", body: .collect(maxSize: "512kb"), use: builder.save)
    pages.get("forms", ":form_id", "preview", use: builder.preview)
    pages.get("consent-partners", use: builder.partners)
    pages.post("consent-partners", use: builder.savePartners)

    let campaigns = CampaignsPagesController()
    pages.get("campaigns", use: campaigns.index)
    pages.get("campaigns", "new", use: campaigns.new)
    pages.post("campaigns", use: campaigns.create)
    pages.get("campaigns", ":campaign_id", use: campaigns.show)
    pages.get("campaigns", ":campaign_id", "edit", use: campaigns.edit)
    pages.post("campaigns", ":campaign_id", use: campaigns.update)
    pages.post("campaigns", ":campaign_id", "actions", use: campaigns.act)
    pages.post("campaigns", ":campaign_id", "delete", use: campaigns.delete)

    let assets = AssetsPagesController()
    pages.get("assets", use: assets.index)
    pages.on(.POST, "assets", body: .collect(maxSize: "6mb"), use: assets.upload)
    pages.post("assets", ":asset_id", use: assets.change)

    let queue = QueuePagesController()
    pages.get("queue", use: queue.index)
    pages.post("queue", "actions", use: queue.bulk)
    pages.post("queue", ":delivery_id", "actions", use: queue.act)

    let billing = BillingPagesController()
    pages.get("billing", use: billing.index)
    pages.get("billing", "leads", use: billing.leads)
    pages.get("billing", "export.csv", use: BillingAPIController().export)
    pages.post("billing", "invoices", use: billing.mark)
    pages.post("billing", "invoices", ":invoice_id", "delete", use: billing.delete)

    let alerts = AlertsController()
    pages.get("alerts", use: alerts.page)
    pages.post("alerts", ":alert_id", "resolve", use: alerts.resolveFromPage)

    // Admin JSON API: bearer token.
    let api = app.grouped("api", "admin").grouped(APIAuthMiddleware())
    // The caller itself (the first version's `GET /api/auth/me`), and the same under /api/admin.
    app.grouped("api", "auth").grouped(APIAuthMiddleware()).get("me", use: auth.me)
    api.get("me", use: auth.me)
    let crmsAPI = AdminAPI.crms
    api.get("crms", use: crmsAPI.index)
    api.post("crms", use: crmsAPI.create)
    api.get("crms", ":crm_id", use: crmsAPI.show)
    api.patch("crms", ":crm_id", use: crmsAPI.update)
    api.delete("crms", ":crm_id", use: crmsAPI.delete)

    let accountsAPI = AdminAPI.accounts
    api.get("accounts", use: accountsAPI.index)
    api.post("accounts", use: accountsAPI.create)
    api.get("accounts", ":account_id", use: accountsAPI.show)
    api.patch("accounts", ":account_id", use: accountsAPI.update)
    api.delete("accounts", ":account_id", use: accountsAPI.delete)

    let sourcesAPI = AdminAPI.diffusionSources
    api.get("diffusion-sources", use: sourcesAPI.index)
    api.post("diffusion-sources", use: sourcesAPI.create)
    api.get("diffusion-sources", ":source_id", use: sourcesAPI.show)
    api.patch("diffusion-sources", ":source_id", use: sourcesAPI.update)
    api.delete("diffusion-sources", ":source_id", use: sourcesAPI.delete)

    let productsAPI = AdminAPI.productTypes
    api.get("product-types", use: productsAPI.index)
    api.post("product-types", use: productsAPI.create)
    api.get("product-types", ":product_type_id", use: productsAPI.show)
    api.patch("product-types", ":product_type_id", use: productsAPI.update)
    api.delete("product-types", ":product_type_id", use: productsAPI.delete)

    let usersAPI = AdminAPI.users
    api.get("users", use: usersAPI.index)
    api.post("users", use: usersAPI.create)
    api.get("users", ":user_id", use: usersAPI.show)
    api.patch("users", ":user_id", use: usersAPI.update)
    api.delete("users", ":user_id", use: usersAPI.delete)

    let activityAPI = ActivityAPIController()
    api.get("activity", use: activityAPI.index)
    api.get("activity", ":activity_id", use: activityAPI.show)

    let formsAPI = AdminAPI.forms
    let pageActions = PageActionsAPIController()
    api.get("forms", use: formsAPI.index)
    api.post("forms", use: formsAPI.create)
    api.get("forms", ":form_id", use: formsAPI.show)
    api.patch("forms", ":form_id", use: formsAPI.update)
    api.delete("forms", ":form_id", use: formsAPI.delete)
    api.post("forms", ":form_id", "duplicate", use: pageActions.duplicateForm)
    api.post("forms", ":form_id", "archive", use: pageActions.archiveForm)
    api.post("forms", ":form_id", "unarchive", use: pageActions.unarchiveForm)
    api.post("forms", ":form_id", "regenerate-key", use: pageActions.regenerateFormKey)
    api.get("forms", ":form_id", "comments", use: pageActions.formComments)
    api.post("forms", ":form_id", "comments", use: pageActions.addFormComment)
    api.get("forms", ":form_id", "brief", use: formBrief.brief)
    api.get("forms", ":form_id", "integration-check", use: formBrief.check)

    let lpsAPI = AdminAPI.landingPages
    api.get("lps", use: lpsAPI.index)
    api.post("lps", use: lpsAPI.create)
    api.get("lps", ":landing_page_id", use: lpsAPI.show)
    api.patch("lps", ":landing_page_id", use: lpsAPI.update)
    api.delete("lps", ":landing_page_id", use: lpsAPI.delete)
    api.post("lps", ":landing_page_id", "duplicate", use: pageActions.duplicateLandingPage)
    api.post("lps", ":landing_page_id", "archive", use: pageActions.archiveLandingPage)
    api.post("lps", ":landing_page_id", "unarchive", use: pageActions.unarchiveLandingPage)
    api.get("lps", ":landing_page_id", "comments", use: pageActions.landingPageComments)
    api.post("lps", ":landing_page_id", "comments", use: pageActions.addLandingPageComment)
    api.get("lps", ":landing_page_id", "brief", use: lpBrief.brief)
    api.get("lps", ":landing_page_id", "integration-check", use: lpBrief.check)
    api.delete("comments", ":comment_id", use: pageActions.deleteComment)

    api.get("leads", use: leadsAPI.index)
    api.get("leads", "export.csv", use: leadsAPI.export)
    api.get("leads", "review", use: leadsAPI.review)
    let returnsAPI = ReturnsAPIController()
    api.get("returns", use: returnsAPI.index)
    api.on(.POST, "returns", "import", body: .collect(maxSize: "2mb"), use: returnsAPI.importCSV)
    api.post("returns", ":return_id", "accept", use: returnsAPI.accept)
    api.post("returns", ":return_id", "refuse", use: returnsAPI.refuse)
    api.post("leads", ":lead_id", "return", use: returnsAPI.create)
    api.post("crms", ":crm_id", "returns-key", use: returnsAPI.newKey)
    api.post("leads", ":lead_id", "release", use: leadsAPI.release)
    api.post("leads", ":lead_id", "reject", use: leadsAPI.reject)
    api.post("leads", "bulk", use: leadsAPI.bulk)
    api.post("leads", "erase", use: leadsAPI.erase)
    api.post("leads", "archive-older", use: leadsAPI.archiveOlder)
    api.get("leads", ":lead_id", use: leadsAPI.show)
    api.patch("leads", ":lead_id", use: leadsAPI.update)
    api.delete("leads", ":lead_id", use: leadsAPI.delete)

    let campaignsAPI = CampaignsAPIController()
    api.get("campaigns", use: campaignsAPI.index)
    api.post("campaigns", use: campaignsAPI.create)
    api.get("campaigns", ":campaign_id", use: campaignsAPI.show)
    api.patch("campaigns", ":campaign_id", use: campaignsAPI.update)
    api.delete("campaigns", ":campaign_id", use: campaignsAPI.delete)
    api.post("campaigns", ":campaign_id", "start", use: campaignsAPI.action(.start))
    api.post("campaigns", ":campaign_id", "stop", use: campaignsAPI.action(.stop))
    api.post("campaigns", ":campaign_id", "apply-winner", use: campaignsAPI.action(.applyWinner))

    api.get("notifications", use: notifications.show)
    api.patch("notifications", use: notifications.patch)
    api.post("notifications", "test", use: notifications.test)
    api.post("notifications", "summary", use: notifications.summary)
    api.get("alerts", use: alerts.index)
    api.post("alerts", ":alert_id", "resolve", use: alerts.resolve)

    let statsAPI = StatsAPIController()
    api.get("stats", "funnel", use: statsAPI.funnel)
    api.get("stats", "quality", use: statsAPI.quality)
    api.get("stats", "timeseries", use: statsAPI.timeseries)

    let billingAPI = BillingAPIController()
    api.get("billing", use: billingAPI.matrix)
    api.get("billing", "leads", use: billingAPI.leads)
    api.get("billing", "export.csv", use: billingAPI.export)
    api.get("billing", "invoices", use: billingAPI.invoices)
    api.post("billing", "invoices", use: billingAPI.createInvoice)
    api.delete("billing", "invoices", ":invoice_id", use: billingAPI.deleteInvoice)

    let deliveriesAPI = DeliveriesAPIController()
    api.post("leads", ":lead_id", "retry", use: deliveriesAPI.retryLead)
    api.post("leads", ":lead_id", "force", use: deliveriesAPI.forceLead)
    api.get("deliveries", use: deliveriesAPI.index)
    api.get("deliveries", "stats", use: deliveriesAPI.stats)
    api.post("deliveries", "retry-all", use: deliveriesAPI.retryAll)
    api.post("deliveries", "purge", use: deliveriesAPI.purge)
    api.get("deliveries", ":delivery_id", use: deliveriesAPI.show)
    api.post("deliveries", ":delivery_id", "retry", use: deliveriesAPI.retry)
    api.post("deliveries", ":delivery_id", "cancel", use: deliveriesAPI.cancel)

    let assetsAPI = AssetsAPIController()
    api.get("assets", use: assetsAPI.index)
    api.on(.POST, "assets", body: .collect(maxSize: "6mb"), use: assetsAPI.create)
    api.get("assets", ":asset_id", use: assetsAPI.show)
    api.patch("assets", ":asset_id", use: assetsAPI.update)
    api.delete("assets", ":asset_id", use: assetsAPI.delete)

    let apiKeysAPI = ApiKeysAPIController()
    api.get("api-keys", use: apiKeysAPI.index)
    api.post("api-keys", use: apiKeysAPI.create)
    api.delete("api-keys", ":api_key_id", use: apiKeysAPI.delete)

    api.get("organization", use: OrganizationSettings.show)
    api.patch("organization", use: OrganizationSettings.patch)
    api.get("v1-compat", use: V1CompatService.show)
    api.patch("v1-compat", use: V1CompatService.patch)

    let tokensAPI = TokensAPIController()
    api.get("tokens", use: tokensAPI.index)
    api.post("tokens", use: tokensAPI.create)
    api.delete("tokens", ":token_id", use: tokensAPI.delete)
}
