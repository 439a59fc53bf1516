import Dispatch
import Foundation
import Synchronization

/// Runs matching too costly for an event loop (`InterestRouter.inlineWorkLimit`) on lanes of
/// its own: one serial queue per usable CPU but one, so the event loops keep a CPU for every
/// other request, each publication on the lane with the least work queued.
///
/// The work queued on a lane is bounded: past `maxQueuedWork` VM steps on the least busy
/// lane a publication is refused (503) rather than left behind seconds of others' matching,
/// and one whose client has left by its turn is not matched at all. A publication already
/// answered (`fastPost`: no client) is never refused, which would lose it: it waits for room.
final class CostlyMatching: Sendable {
    private struct State {
        /// VM steps queued or running, per lane.
        var queued: [Int]
        /// Publications already answered, waiting for room on a lane.
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let lanes: [DispatchQueue]
    private let state: Mutex<State>
    let maxQueuedWork: Int

    init(
        lanes: Int = max(1, (UsableCPUs.count ?? ProcessInfo.processInfo.activeProcessorCount) - 1),
        maxQueuedWork: Int = 10 * InterestRouter.workBudget
    ) {
        self.lanes = (0..<lanes).map { DispatchQueue(label: "couchqueue.costly-matching.\($0)") }
        state = Mutex(State(queued: Array(repeating: 0, count: lanes)))
        self.maxQueuedWork = maxQueuedWork
    }

    /// Runs `match`, whose cost is bounded by `work` steps, on the least busy lane.
    func run(work: Int, _ match: @escaping @Sendable () -> [String]) async throws(EngineError) -> [String] {
        let client = ClientPresence.current
        let lane: Int
        if client == nil {
            lane = await admitWhenRoom(work)
        } else if let admitted = admit(work) {
            lane = admitted
        } else {
            throw EngineError(.unavailable, "too much costly matching is queued on this server; publish again later")
        }
        let matched: [String]? = await withCheckedContinuation { continuation in
            lanes[lane].async {
                let matched = client?.isGone == true ? nil : match()
                let waiting = self.state.withLock { state in
                    state.queued[lane] -= work
                    defer { state.waiting.removeAll() }
                    return state.waiting
                }
                for waiter in waiting { waiter.resume() }
                continuation.resume(returning: matched)
            }
        }
        guard let matched else { throw EngineError(.unavailable, "the client left before its publication was matched") }
        return matched
    }

    /// Counts `work` on the least busy lane and answers the lane, if it has room (an empty lane
    /// always has). Otherwise answers nil, after keeping `waiting`, if given, to resume once
    /// work is done; given room, `waiting` is resumed at once.
    private func admit(_ work: Int, orWait waiting: CheckedContinuation<Void, Never>? = nil) -> Int? {
        let lane = state.withLock { state -> Int? in
            let lane = state.queued.indices.min { state.queued[$0] < state.queued[$1] }!
            guard state.queued[lane] == 0 || state.queued[lane] + work <= maxQueuedWork else {
                if let waiting { state.waiting.append(waiting) }
                return nil
            }
            state.queued[lane] += work
            return lane
        }
        if lane != nil { waiting?.resume() }
        return lane
    }

    /// For a publication already answered: tries again each time work is done.
    private func admitWhenRoom(_ work: Int) async -> Int {
        while true {
            var lane: Int?
            await withCheckedContinuation { waiting in lane = admit(work, orWait: waiting) }
            if let lane { return lane }
        }
    }
}
