@testable import CouchQueueEngine
import Testing

@Suite struct WaitingWorkersTests {
    @Test func aScheduledWakeupReleasesItsWaitersWhenDue() async throws {
        let clock = TestClock()
        let waiting = WaitingWorkers(now: { clock.now })
        let service = Task { await waiting.run() }
        waiting.wake(["q"], at: clock.now + 5)
        let start = ContinuousClock.now
        async let woken: Void = waiting.wait(for: ["q"], until: start.advanced(by: .seconds(20)))
        try await Task.sleep(for: .milliseconds(200))
        clock.advance(5)
        await woken
        #expect(ContinuousClock.now - start < .seconds(10), "woken by the due time, not by its deadline")
        service.cancel()
    }
}
