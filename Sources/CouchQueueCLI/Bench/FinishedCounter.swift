import Foundation
import Synchronization

/// How many tasks the benchmark's workers have finished, shared between them, and when they
/// reached the total a phase waits for.
final class FinishedCounter: Sendable {
    private let count = Atomic<Int>(0)
    private let target = Mutex<(total: Int, reachedAt: Date?)>((.max, nil))
    var value: Int { count.load(ordering: .relaxed) }

    /// The number of tasks after which `reachedTotalAt` is set.
    var total: Int {
        get { target.withLock { $0.total } }
        set { target.withLock { $0.total = newValue } }
    }

    /// When the finished tasks first reached `total`.
    var reachedTotalAt: Date? { target.withLock { $0.reachedAt } }

    func add(_ finished: Int) {
        let now = count.add(finished, ordering: .relaxed).newValue
        target.withLock { target in
            if now >= target.total, target.reachedAt == nil { target.reachedAt = Date() }
        }
    }
}
