import ServiceLifecycle
import Synchronization

/// Lease requests parked until work may be there for them (`wait` on `GET /task`, or on a
/// report that asks for its `next` tasks).
///
/// A waiter names keys (its queues and its own worker id), under which it is found
/// (`ParkedWaiters`); a publish wakes one waiter per key it stored under (all of them when
/// scheduled tasks fall due), and rare events (expired leases, deleted workers) wake
/// everyone. A waiter also wakes at its deadline: `run()` checks deadlines and due times on a
/// short tick, so that nothing needs a timer of its own. On shutdown every waiter is woken
/// and no new one parks.
///
/// A wake-up that comes while a worker is between its empty lease and parking would find
/// nobody; each lease therefore takes a `WakeTicket` first, and does not park if a wake-up of
/// its keys found nobody since: it leases again.
public final class WaitingWorkers: Service, Sendable {
    /// Where the wake-ups that found no waiter stood when a lease began. A worker's keys are
    /// not known before its first lease: they are looked for when it parks.
    struct WakeTicket {
        fileprivate let missed: UInt64
        fileprivate let wokeAll: UInt64
    }

    private struct Waiter: ParkedWaiter {
        let keys: [String]
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var waiters = ParkedWaiters<Waiter>()
        var dueWakeups: DueWakeups
        var nextID: UInt64 = 0
        var closed = false
        /// The latest wake-ups that may have found no waiter (those of `wakeOne` that found
        /// none, and every `wake` of all a key's waiters), as the hashes of their keys, the
        /// oldest overwritten first; `missed` counts them all. Memory stays fixed however
        /// many leases wait, and a lease parks moments after its ticket: it looks through few.
        var recentMisses = [Int](repeating: 0, count: WaitingWorkers.recentMissCapacity)
        var missed: UInt64 = 0
        var wokeAll: UInt64 = 0

        /// Whether a wake-up of `keys` may have found nobody since `ticket`; when more came
        /// than are remembered, it may have.
        func missedAny(of keys: [String], since ticket: WakeTicket) -> Bool {
            guard wokeAll == ticket.wokeAll else { return true }
            guard missed - ticket.missed <= UInt64(recentMisses.count) else { return true }
            let hashes = Set(keys.map(\.hashValue))
            return (ticket.missed..<missed).contains { hashes.contains(recentMisses[position($0)]) }
        }

        mutating func recordMissed(_ key: String) {
            recentMisses[position(missed)] = key.hashValue
            missed += 1
        }

        /// Where the miss numbered `count` is kept in the ring.
        private func position(_ count: UInt64) -> Int {
            Int(count % UInt64(recentMisses.count))
        }
    }

    static let recentMissCapacity = 4096

    private let state: Mutex<State>
    private static let tickSeconds = 0.05
    private let now: @Sendable () -> Double

    init(now: @escaping @Sendable () -> Double) {
        self.now = now
        state = Mutex(State(dueWakeups: DueWakeups(resolution: Self.tickSeconds)))
    }

    /// Taken before a lease that may wait.
    func ticket() -> WakeTicket {
        state.withLock { WakeTicket(missed: $0.missed, wokeAll: $0.wokeAll) }
    }

    /// Returns when one of `keys` is woken, at `deadline`, at shutdown, or when the request's
    /// client leaves (`ClientPresence.current`); at once if a wake-up of `keys` found nobody
    /// since `ticket` was taken.
    func wait(for keys: [String], until deadline: ContinuousClock.Instant, unlessWokenSince ticket: WakeTicket) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let client = ClientPresence.current
        // Set before parking: a client leaving meanwhile is then seen by one side or the other.
        client?.onLeave { self.state.withLock { $0.waiters.take(id) }?.continuation.resume() }
        await withCheckedContinuation { continuation in
            let parked = state.withLock { state -> Bool in
                guard !state.closed, client?.isGone != true, !state.missedAny(of: keys, since: ticket) else { return false }
                state.waiters.park(Waiter(keys: keys, deadline: deadline, continuation: continuation), as: id)
                return true
            }
            if !parked { continuation.resume() }
        }
        client?.onLeave(nil)
    }

    /// Wakes the waiters that named any of `keys`.
    func wake(_ keys: [String]) {
        guard !keys.isEmpty else { return }
        let woken = state.withLock { state in
            for key in keys { state.recordMissed(key) }
            return state.waiters.takeAll(naming: keys)
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Wakes, for each of `keys`, the earliest parked waiter that named it: one new task per
    /// key, which one lease takes. Waking every waiter of the key would send all but one back
    /// to sleep after a lease that finds nothing (a thundering herd). A woken waiter always
    /// leases before it waits again, and passes the wake-up on when it took something, in
    /// case what it took was not what it was woken for.
    func wakeOne(_ keys: [String]) {
        let woken = state.withLock { state -> [Waiter] in
            var woken: [Waiter] = []
            for key in keys {
                guard let waiter = state.waiters.takeEarliest(naming: key) else {
                    state.recordMissed(key)
                    continue
                }
                woken.append(waiter)
            }
            return woken
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Wakes the waiters of `keys` once the unix time `time` has come, within a tick after.
    func wake(_ keys: [String], at time: Double) {
        state.withLock { $0.dueWakeups.add(keys, at: time) }
    }

    func wakeAll() {
        state.withLock { $0.wokeAll &+= 1 }
        resume { _ in true }
    }

    var isClosed: Bool { state.withLock { $0.closed } }
    /// How many waiters are parked (for tests).
    var parkedCount: Int { state.withLock { $0.waiters.count } }

    public func run() async {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !isClosed {
                try? await Task.sleep(for: .seconds(Self.tickSeconds))
                let now = ContinuousClock.now
                resume { $0.deadline <= now }
                wake(Array(state.withLock { $0.dueWakeups.takeDue(at: self.now()) }))
            }
        } onGracefulShutdown: {
            self.state.withLock { $0.closed = true }
            self.wakeAll()
        }
        state.withLock { $0.closed = true }
        wakeAll()
    }

    private func resume(where shouldWake: (Waiter) -> Bool) {
        let woken = state.withLock { state -> [Waiter] in
            let ids = state.waiters.byID.filter { shouldWake($0.value) }.map(\.key)
            return state.waiters.take(ids.sorted())
        }
        for waiter in woken { waiter.continuation.resume() }
    }
}
