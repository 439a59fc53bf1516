@testable import CouchQueueEngine
import Synchronization
import Testing

@Suite struct WaitingWorkersTests {
    @Test func aScheduledWakeupReleasesItsWaitersWhenDue() async throws {
        let clock = TestClock()
        let waiting = WaitingWorkers(now: { clock.now })
        let service = Task { await waiting.run() }
        waiting.wake(["q"], at: clock.now + 5)
        // Far enough off that a slow start (a busy machine) cannot reach it first.
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        async let woken: Void = waiting.wait(for: ["q"], until: deadline)
        while waiting.parkedCount == 0 { try await Task.sleep(for: .milliseconds(10)) }  // parked before the time comes
        clock.advance(5.1)  // within a tick after the due time
        await woken
        #expect(ContinuousClock.now < deadline, "woken by the due time, not by its deadline")
        service.cancel()
    }

    /// The request's client has gone: its waiter leaves at once, whether it left before or
    /// while the waiter was parked.
    @Test func aWaiterWhoseClientLeftLeavesAtOnce() async throws {
        let waiting = WaitingWorkers(now: { 0 })
        let client = ClientPresence()
        let waiter = Task {
            await ClientPresence.$current.withValue(client) { await waiting.wait(for: ["q"], until: .now.advanced(by: .seconds(600))) }
        }
        while waiting.parkedCount == 0 { await Task.yield() }
        client.leave()
        try await returns(waiter)
        #expect(waiting.parkedCount == 0)
        let leftBefore = Task {
            await ClientPresence.$current.withValue(client) { await waiting.wait(for: ["q"], until: .now.advanced(by: .seconds(600))) }
        }
        try await returns(leftBefore)
        #expect(waiting.parkedCount == 0)
    }

    /// Deadlines are far off and no service runs: a waiter returns only when woken.
    @Test func aNewTaskWakesOneWaiterPerKeyTheLongestWaitingFirst() async throws {
        let waiting = WaitingWorkers(now: { 0 })
        let woken = WokenOrder()
        var waiters: [Task<Void, Never>] = []
        for (position, name) in ["first", "second", "third"].enumerated() {
            waiters.append(Task {
                await waiting.wait(for: ["q", "w-\(name)"], until: .now.advanced(by: .seconds(600)))
                woken.append(name)
            })
            while waiting.parkedCount <= position { await Task.yield() }
        }
        waiting.wakeOne(["q"])
        try await returns(waiters[0])
        #expect(woken.names == ["first"] && waiting.parkedCount == 2)
        waiting.wakeOne(["w-third", "q"])
        try await returns(waiters[1])
        try await returns(waiters[2])
        #expect(Set(woken.names) == ["first", "second", "third"] && waiting.parkedCount == 0)
        waiting.wakeAll()
    }

    /// Fails, instead of hanging, when `waiter` was not woken.
    private func returns(_ waiter: Task<Void, Never>) async throws {
        let returned = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await waiter.value; return true }
            group.addTask { try? await Task.sleep(for: .seconds(20)); return false }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        try #require(returned, "the waiter was not woken")
    }
}

/// The order in which waiters came back.
private final class WokenOrder: Sendable {
    private let entries = Mutex<[String]>([])
    func append(_ name: String) { entries.withLock { $0.append(name) } }
    var names: [String] { entries.withLock { $0 } }
}
