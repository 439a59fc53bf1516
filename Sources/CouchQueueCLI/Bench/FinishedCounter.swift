import Synchronization

/// How many tasks the benchmark's workers have finished, shared between them.
final class FinishedCounter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func add(_ finished: Int) { count.add(finished, ordering: .relaxed) }
}
