@testable import CouchQueueEngine
import Synchronization
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

    @Test func aNewTaskWakesOneWaiterPerKeyTheLongestWaitingFirst() async throws {
        let waiting = WaitingWorkers(now: { 0 })
        let service = Task { await waiting.run() }
        let start = ContinuousClock.now
        let woken = WokenOrder()
        var waiters: [Task<Void, Never>] = []
        for name in ["first", "second", "third"] {
            waiters.append(Task {
                await waiting.wait(for: ["q", "w-\(name)"], until: start.advanced(by: .seconds(2)))
                woken.append(name, at: ContinuousClock.now - start)
            })
            try await Task.sleep(for: .milliseconds(50))
        }
        waiting.wakeOne(["q"])
        try await Task.sleep(for: .milliseconds(200))
        #expect(woken.names == ["first"])
        waiting.wakeOne(["w-third", "q"])
        for waiter in waiters { await waiter.value }
        #expect(woken.names.first == "first" && Set(woken.names) == ["first", "second", "third"])
        #expect(woken.times.allSatisfy { $0 < .seconds(1) }, "each woken, none timed out")
        service.cancel()
    }
}

/// The order in which waiters came back, and when.
private final class WokenOrder: Sendable {
    private let entries = Mutex<[(name: String, after: Duration)]>([])
    func append(_ name: String, at time: Duration) { entries.withLock { $0.append((name, time)) } }
    var names: [String] { entries.withLock { $0.map(\.name) } }
    var times: [Duration] { entries.withLock { $0.map(\.after) } }
}
