import LeadHubApp

// Swift Concurrency runs on NIO's event loops instead of a second thread pool: an async route
// then answers without hopping between threads (fewer context switches on the hot paths).
LeadHubMain.useEventLoopsAsGlobalExecutor()
try await LeadHubMain.run()
