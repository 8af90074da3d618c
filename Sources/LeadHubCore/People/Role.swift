import Foundation

/// What a user may do in an organization. Stored as its raw string.
public enum Role: String, Codable, CaseIterable, Sendable {
    case admin
    case editor
    case viewer

    public var label: String {
        switch self {
        case .admin: "Administrateur"
        case .editor: "Éditeur"
        case .viewer: "Lecteur"
        }
    }

    public func allows(_ permission: Permission) -> Bool {
        switch permission {
        case .read: true
        case .edit: self != .viewer
        case .manageCrms, .manageUsers, .manageBilling, .manageOrganization: self == .admin
        }
    }
}

/// The kinds of action the role rules distinguish.
public enum Permission: Sendable {
    /// See the organization's objects (within the user's restriction).
    case read
    /// Create, change and delete accounts, sources, product types, LPs, forms, leads.
    case edit
    /// CRMs: their settings, commandes, prices, limits.
    case manageCrms
    /// Users and their roles.
    case manageUsers
    /// Inter-CRM billing.
    case manageBilling
    /// Organization-wide settings, API keys of others, backups.
    case manageOrganization
}

/// The CRMs and accounts a user may see. Both empty means the whole organization.
///
/// A user limited to CRMs sees those CRMs and every account they own; a user limited to accounts
/// sees those accounts, their sub-accounts, and (read-only) the CRMs that own them.
public struct AccessRestriction: Equatable, Sendable {
    public var crmIds: Set<UUID>
    public var accountIds: Set<UUID>

    public init(crmIds: Set<UUID> = [], accountIds: Set<UUID> = []) {
        self.crmIds = crmIds
        self.accountIds = accountIds
    }

    public var isUnrestricted: Bool { crmIds.isEmpty && accountIds.isEmpty }

    /// The account ids visible, given every account of the organization as (id, crm, parent).
    public func visibleAccounts(among accounts: [(id: UUID, crmId: UUID, parentId: UUID?)]) -> Set<UUID>? {
        if isUnrestricted { return nil }
        var visible = Set(accounts.filter { crmIds.contains($0.crmId) || accountIds.contains($0.id) }.map(\.id))
        // Sub-accounts of visible accounts are visible too, at any depth.
        var grew = true
        while grew {
            grew = false
            for account in accounts where !visible.contains(account.id) {
                if let parent = account.parentId, visible.contains(parent) {
                    visible.insert(account.id)
                    grew = true
                }
            }
        }
        return visible
    }

    /// The CRM ids visible: the chosen CRMs plus the CRMs owning a visible account.
    public func visibleCrms(visibleAccounts: Set<UUID>?, among accounts: [(id: UUID, crmId: UUID, parentId: UUID?)])
        -> Set<UUID>?
    {
        guard let visibleAccounts else { return nil }
        return crmIds.union(accounts.filter { visibleAccounts.contains($0.id) }.map(\.crmId))
    }
}
