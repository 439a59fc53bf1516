import Synchronization

/// How many tasks the benchmark's workers have finished, shared between them.
final class FinishedCounter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func increment() { count.add(1, ordering: .relaxed) }
}
