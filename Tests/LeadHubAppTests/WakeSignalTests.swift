import Foundation
import NIOPosix
import Testing

@testable import LeadHubApp

@Suite struct WakeSignalTests {
    let signal = WakeSignal(eventLoop: MultiThreadedEventLoopGroup.singleton.any())

    func timed(_ body: () async -> Void) async -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        await body()
        return clock.now - start
    }

    @Test func everyWaitLastsItsTimeoutNotOnlyTheFirst() async {
        // The AsyncStream version returned at once from the second wait on: the loops spun.
        for _ in 0..<3 {
            let elapsed = await timed { await signal.wait(timeout: .milliseconds(60)) }
            #expect(elapsed >= .milliseconds(55))
            #expect(elapsed < .seconds(30))  // generous: the whole suite shares the event loops
        }
    }

    @Test func aSignalEndsTheWaitEarly() async {
        let signal = self.signal
        Task {
            try? await Task.sleep(for: .milliseconds(30))
            signal.signal()
        }
        // A wait of 120 s ended by the signal: well before its timeout, however loaded the machine
        // (the whole suite shares the event loops; 6 s were seen on a loaded 2-core machine).
        let elapsed = await timed { await signal.wait(timeout: .seconds(120)) }
        #expect(elapsed < .seconds(60))
        // The next wait is not cut short by that signal.
        let next = await timed { await signal.wait(timeout: .milliseconds(60)) }
        #expect(next >= .milliseconds(55))
    }

    @Test func signalsGivenWhileNobodyWaitsAreKeptAsOne() async {
        signal.signal()
        signal.signal()
        let first = await timed { await signal.wait(timeout: .seconds(10)) }
        #expect(first < .seconds(1))
        let second = await timed { await signal.wait(timeout: .milliseconds(60)) }
        #expect(second >= .milliseconds(55))
    }
}
