import CouchQueueModel
import Synchronization

/// Decides which queues want a task: every queue's compiled interests, swapped whole when one
/// queue's interests change, so routing reads a consistent snapshot without waiting.
final class InterestRouter: Sendable {
    private let byQueue = Mutex<[String: CompiledInterests]>([:])
    /// The store's interests version the loaded interests are at least as new as.
    private let loadedVersion = Mutex<Int64?>(nil)

    func replaceAll(_ interests: [String: CompiledInterests], version: Int64) {
        byQueue.withLock { $0 = interests }
        loadedVersion.withLock { $0 = version }
    }

    /// Read before routing: `replaceAll` sets the interests before the version, so routing
    /// never pairs newer interests with an older version than it checks.
    var version: Int64? {
        loadedVersion.withLock { $0 }
    }

    func set(_ queue: String, _ interests: CompiledInterests?) {
        byQueue.withLock { $0[queue] = interests }
    }

    /// The most matching work one publication may cost, in VM steps (about 0.4 s of one
    /// core): linear-time matching still multiplies a long field by a large pattern.
    static let workBudget = 200_000_000

    /// The interested queues, by name. Refuses data whose matching would exceed the budget
    /// before matching any of it.
    func route(_ data: JSONValue) throws(EngineError) -> [String] {
        let snapshot = byQueue.withLock { $0 }
        var candidates: [(queue: String, pairs: [CompiledInterests.Candidate]?)] = []
        candidates.reserveCapacity(snapshot.count)
        var work = 0
        for (queue, interests) in snapshot {
            let pairs = interests.candidates(data)
            for pair in pairs ?? [] { work += pair.regex.workBound(utf8Count: pair.text.utf8.count) }
            candidates.append((queue, pairs))
        }
        guard work <= Self.workBudget else {
            throw EngineError(.badRequest, "data is too large to match against the registered interests: shorten its long fields")
        }
        return candidates.compactMap { queue, pairs in
            pairs.map { $0.contains { $0.regex.matches($0.text) } } ?? true ? queue : nil
        }.sorted()
    }
}
