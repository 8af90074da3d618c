import Foundation
import LeadHubApp

// Swift Concurrency runs on NIO's event loops instead of a second thread pool: an async route
// then answers without hopping between threads (fewer context switches on the hot paths).
LeadHubMain.useEventLoopsAsGlobalExecutor()
do {
    try await LeadHubMain.run()
} catch {
    // One readable line (the details are in the log above when there are any), and a failure code.
    FileHandle.standardError.write(Data("leadhub : \(error)\n".utf8))
    exit(1)
}
