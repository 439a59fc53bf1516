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
        async let woken: Void = waiting.wait(for: ["q"], until: deadline, unlessWokenSince: waiting.ticket())
        try await parked(1, in: waiting)  // before the time comes
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
            await ClientPresence.$current.withValue(client) { await waiting.wait(for: ["q"], until: .now.advanced(by: .seconds(600)), unlessWokenSince: waiting.ticket()) }
        }
        try await parked(1, in: waiting)
        client.leave()
        try await returns(waiter, of: waiting)
        #expect(waiting.parkedCount == 0)
        let leftBefore = Task {
            await ClientPresence.$current.withValue(client) { await waiting.wait(for: ["q"], until: .now.advanced(by: .seconds(600)), unlessWokenSince: waiting.ticket()) }
        }
        try await returns(leftBefore, of: waiting)
        #expect(waiting.parkedCount == 0)
    }

    /// Deadlines are far off and no service runs: a waiter returns only when woken.
    @Test func aNewTaskWakesOneWaiterPerKeyTheLongestWaitingFirst() async throws {
        let waiting = WaitingWorkers(now: { 0 })
        let woken = WokenOrder()
        var waiters: [Task<Void, Never>] = []
        for (position, name) in ["first", "second", "third"].enumerated() {
            waiters.append(Task {
                let keys = ["q", "w-\(name)"]
                await waiting.wait(for: keys, until: .now.advanced(by: .seconds(600)), unlessWokenSince: waiting.ticket())
                woken.append(name)
            })
            try await parked(position + 1, in: waiting)
        }
        waiting.wakeOne(["q"])
        try await returns(waiters[0], of: waiting)
        #expect(woken.names == ["first"] && waiting.parkedCount == 2)
        waiting.wakeOne(["w-third", "q"])
        try await returns(waiters[1], of: waiting)
        try await returns(waiters[2], of: waiting)
        #expect(Set(woken.names) == ["first", "second", "third"] && waiting.parkedCount == 0)
        waiting.wakeAll()
    }

    /// A wake-up that found nobody while a lease was finding nothing (the task being stored
    /// meanwhile) keeps that lease's worker from parking: it leases again instead of sleeping
    /// through it. Only wake-ups of its own keys count (the ticket is taken before they are
    /// known), or a worker would lease again while other queues are busy.
    @Test func aWakeUpThatFoundNobodySinceTheTicketKeepsTheWaiterFromParking() async throws {
        let waiting = WaitingWorkers(now: { 0 })
        let keys = ["q", "w"]
        let farOff = ContinuousClock.now.advanced(by: .seconds(600))
        let ticket = waiting.ticket()
        waiting.wakeOne(["q"])
        try await returns(Task { await waiting.wait(for: keys, until: farOff, unlessWokenSince: ticket) }, of: waiting)
        let untouched = waiting.ticket()
        waiting.wakeOne(["other"])
        let parks = Task { await waiting.wait(for: keys, until: farOff, unlessWokenSince: untouched) }
        try await parked(1, in: waiting)
        waiting.wakeAll()
        try await returns(parks, of: waiting)
        // More wake-ups that found nobody than are remembered: a lease may have missed one.
        let overrun = waiting.ticket()
        for n in 0...WaitingWorkers.recentMissCapacity { waiting.wakeOne(["other-\(n)"]) }
        try await returns(Task { await waiting.wait(for: keys, until: farOff, unlessWokenSince: overrun) }, of: waiting)
    }

    /// Waits until `count` waiters are parked; fails after 20 s.
    private func parked(_ count: Int, in waiting: WaitingWorkers) async throws {
        let giveUp = ContinuousClock.now.advanced(by: .seconds(20))
        while waiting.parkedCount < count {
            try #require(ContinuousClock.now < giveUp, "\(count) waiters never parked")
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Fails, instead of hanging, when `waiter` was not woken: after 20 s every waiter of
    /// `waiting` is woken, which lets the group end.
    private func returns(_ waiter: Task<Void, Never>, of waiting: WaitingWorkers) async throws {
        let returned = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await waiter.value; return true }
            group.addTask { try? await Task.sleep(for: .seconds(20)); return false }
            let first = await group.next()!
            group.cancelAll()
            if !first { waiting.wakeAll() }
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
