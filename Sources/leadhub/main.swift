import LeadHubApp

try await LeadHubMain.run()
