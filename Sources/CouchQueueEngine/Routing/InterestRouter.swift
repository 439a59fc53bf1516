import CouchQueueModel
import Synchronization

/// Decides which queues want a task: every queue's compiled interests, swapped whole when one
/// queue's interests change, so routing reads a consistent snapshot without waiting.
final class InterestRouter: Sendable {
    private let byQueue = Mutex<[String: CompiledInterests]>([:])

    func replaceAll(_ interests: [String: CompiledInterests]) {
        byQueue.withLock { $0 = interests }
    }

    func set(_ queue: String, _ interests: CompiledInterests?) {
        byQueue.withLock { $0[queue] = interests }
    }

    /// The interested queues, by name.
    func route(_ data: JSONValue) -> [String] {
        let snapshot = byQueue.withLock { $0 }
        return snapshot.filter { $0.value.matches(data) }.map(\.key).sorted()
    }
}
