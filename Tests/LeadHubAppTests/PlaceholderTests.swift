import Testing
import VaporTesting
@testable import LeadHubApp
@Test func placeholder() {}
