import Foundation
import Synchronization

/// How many tasks the benchmark's workers have finished, shared between them, and when they
/// first reached the total a phase waits for.
final class FinishedCounter: Sendable {
    let total: Int
    private let count = Atomic<Int>(0)
    private let reachedAt = Mutex<Date?>(nil)

    init(total: Int) {
        self.total = total
    }

    var reachedTotal: Bool { count.load(ordering: .relaxed) >= total }
    var reachedTotalAt: Date? { reachedAt.withLock { $0 } }

    func add(_ finished: Int) {
        guard count.add(finished, ordering: .relaxed).newValue >= total else { return }
        reachedAt.withLock { if $0 == nil { $0 = Date() } }
    }
}
