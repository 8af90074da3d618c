import Fluent

/// The migration timeline, in order. Append only: a landed migration is never edited.
enum LeadHubMigrations {
    static let all: [any Migration] = [
        CreateOrganization(),
        CreateUser(),
        CreateUserSession(),
        CreateApiToken(),
        CreateLoginFailure(),
        CreateCrm(),
        CreateAccount(),
        CreateDiffusionSource(),
        CreateProductType(),
        CreateActivityEntry(),
        CreateLandingPageAndForm(),
        CreateComment(),
        CreateOrganizationApiKey(),
        CreateLead(),
        UpdateOrganizationAddDuplicateWindow(),
        CreateAsset(),
        UpdatePagesAddImage(),
        CreateDelivery(),
        CreateBillingInvoice(),
        UpdateDeliveriesAddWaitingIndex(),
        CreateAlert(),
        UpdateOrganizationAddNotifications(),
        UpdateOrganizationAddSummaries(),
        CreateTracking(),
        CreateLeadLandingPageIndex(),
        CreateFirstVersionCompat(),
        UpdateAlertsAddSubjects(),
        UpdateAlertsAddOneOpenPerCondition(),
        CreateJobLease(),
        UpdateLeadsAddQuality(),
        CreateLeadReturn(),
        CreateCampaign(),
    ]
}
