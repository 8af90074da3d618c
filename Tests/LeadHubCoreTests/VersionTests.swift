import Testing
@testable import LeadHubCore
@Test func versionExists() { #expect(!LeadHubCoreVersion.value.isEmpty) }
