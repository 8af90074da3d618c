import Foundation
import LeadHubApp

// Swift Concurrency runs on NIO's event loops instead of a second thread pool: an async route
// then answers without hopping between threads (fewer context switches on the hot paths).
if !LeadHubMain.useEventLoopsAsGlobalExecutor() {
    // The binary links the Swift runtime statically and hides its hook (see docs/BENCHMARKS.md):
    // everything works, with a thread hop per async request.
    FileHandle.standardError.write(
        Data(
            "leadhub : Swift Concurrency reste sur son propre pool de threads / stays on its own thread pool\n".utf8))
}
do {
    try await LeadHubMain.run()
} catch {
    // One readable line (the details are in the log above when there are any), and a failure code.
    FileHandle.standardError.write(Data("leadhub : \(error)\n".utf8))
    exit(1)
}
