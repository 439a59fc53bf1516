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
/// answered (`fastPost`: no client) is never refused, which would lose it: it waits its turn.
/// There are at most as many of those as `FastPostQueue` stores at once.
final class CostlyMatching: Sendable {
    private let lanes: [DispatchQueue]
    /// VM steps queued or running, per lane.
    private let queuedWork: Mutex<[Int]>
    let maxQueuedWork: Int

    init(
        lanes: Int = max(1, (UsableCPUs.count ?? ProcessInfo.processInfo.activeProcessorCount) - 1),
        maxQueuedWork: Int = 10 * InterestRouter.workBudget
    ) {
        self.lanes = (0..<lanes).map { DispatchQueue(label: "couchqueue.costly-matching.\($0)") }
        queuedWork = Mutex(Array(repeating: 0, count: lanes))
        self.maxQueuedWork = maxQueuedWork
    }

    /// Runs `match`, whose cost is bounded by `work` steps, on the least busy lane.
    func run(work: Int, _ match: @escaping @Sendable () -> [String]) async throws(EngineError) -> [String] {
        let client = ClientPresence.current
        let lane = try queuedWork.withLock { queued throws(EngineError) -> Int in
            let lane = queued.indices.min { queued[$0] < queued[$1] }!
            guard client == nil || queued[lane] + work <= maxQueuedWork else {
                throw EngineError(.unavailable, "too much costly matching is queued on this server; publish again later")
            }
            queued[lane] += work
            return lane
        }
        let matched: [String]? = await withCheckedContinuation { continuation in
            lanes[lane].async {
                let matched = client?.isGone == true ? nil : match()
                self.queuedWork.withLock { $0[lane] -= work }
                continuation.resume(returning: matched)
            }
        }
        guard let matched else { throw EngineError(.unavailable, "the client left before its publication was matched") }
        return matched
    }
}
