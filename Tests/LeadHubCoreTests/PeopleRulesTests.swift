import Foundation
import Testing

@testable import LeadHubCore

@Suite struct RoleTests {
    @Test(arguments: [
        (Role.admin, Permission.read, true), (.admin, .edit, true), (.admin, .manageCrms, true),
        (.admin, .manageUsers, true), (.admin, .manageBilling, true),
        (.editor, .read, true), (.editor, .edit, true), (.editor, .manageCrms, false),
        (.editor, .manageUsers, false), (.editor, .manageBilling, false),
        (.viewer, .read, true), (.viewer, .edit, false), (.viewer, .manageCrms, false),
        (.viewer, .manageUsers, false),
    ])
    func rolePermissions(role: Role, permission: Permission, allowed: Bool) {
        #expect(role.allows(permission) == allowed)
    }

    @Test func rolesHaveFrenchLabels() {
        #expect(Role.allCases.map(\.label) == ["Administrateur", "Éditeur", "Lecteur"])
    }
}

@Suite struct AccessRestrictionTests {
    let zr7 = UUID()
    let mdl = UUID()
    let solaire = UUID()
    let solaireSud = UUID()
    let solaireSudEst = UUID()
    let confort = UUID()

    var accounts: [(id: UUID, crmId: UUID, parentId: UUID?)] {
        [
            (solaire, zr7, nil), (solaireSud, zr7, solaire), (solaireSudEst, zr7, solaireSud), (confort, mdl, nil),
        ]
    }

    @Test func emptyRestrictionSeesEverything() {
        let restriction = AccessRestriction()
        #expect(restriction.isUnrestricted)
        #expect(restriction.visibleAccounts(among: accounts) == nil)
    }

    @Test func crmRestrictionSeesEveryAccountOfThatCrm() {
        let restriction = AccessRestriction(crmIds: [mdl])
        let visible = restriction.visibleAccounts(among: accounts)
        #expect(visible == [confort])
        #expect(restriction.visibleCrms(visibleAccounts: visible, among: accounts) == [mdl])
    }

    @Test func accountRestrictionSeesSubAccountsAtAnyDepthAndTheirCrm() {
        let restriction = AccessRestriction(accountIds: [solaire])
        let visible = restriction.visibleAccounts(among: accounts)
        #expect(visible == [solaire, solaireSud, solaireSudEst])
        #expect(restriction.visibleCrms(visibleAccounts: visible, among: accounts) == [zr7])
    }

    @Test func subAccountRestrictionDoesNotSeeItsParent() {
        let visible = AccessRestriction(accountIds: [solaireSud]).visibleAccounts(among: accounts)
        #expect(visible == [solaireSud, solaireSudEst])
    }
}

@Suite struct LoginThrottleTests {
    let throttle = LoginThrottle()
    let start = Date(timeIntervalSince1970: 1_000_000)

    @Test(arguments: [(0, 0.0), (4, 0.0), (5, 2.0), (6, 4.0), (7, 8.0), (10, 64.0), (30, 900.0)])
    func delayGrowsAfterFiveFailures(failures: Int, delay: Double) {
        #expect(throttle.delay(afterFailures: failures) == delay)
    }

    @Test func blockedUntilTheDelayHasPassed() {
        #expect(throttle.blockedUntil(failures: 5, lastFailureAt: start, now: start.addingTimeInterval(1)) != nil)
        #expect(throttle.blockedUntil(failures: 5, lastFailureAt: start, now: start.addingTimeInterval(2)) == nil)
        #expect(throttle.blockedUntil(failures: 4, lastFailureAt: start, now: start) == nil)
    }

    @Test func oldFailuresAreForgotten() {
        let later = start.addingTimeInterval(3_601)
        #expect(throttle.failuresAfterNewFailure(previous: 9, lastFailureAt: start, now: later) == 1)
        #expect(throttle.failuresAfterNewFailure(previous: 9, lastFailureAt: start, now: start) == 10)
        #expect(throttle.blockedUntil(failures: 30, lastFailureAt: start, now: later) == nil)
    }
}

@Suite struct PasswordPolicyTests {
    @Test(arguments: [("", false), ("court", false), ("dix-caract", true), (String(repeating: "é", count: 40), false)])
    func passwordPolicy(password: String, accepted: Bool) {
        var errors = FieldErrors()
        PasswordPolicy.check(password, errors: &errors)
        #expect(errors.isEmpty == accepted)
    }
}
