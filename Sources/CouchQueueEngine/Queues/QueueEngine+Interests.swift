import CouchQueueModel
import CouchQueueStore

extension QueueEngine {
    /// Creates the queue if needed and replaces its interests (`PUT /interest`). Each change is
    /// followed by a reload rather than applied to the router directly: changes racing on one
    /// queue would otherwise be applied in the order their answers came, not their commits.
    public func setInterests(queue: String, interests: Interests) async throws -> InterestsSet {
        try QueueName.validate([queue], code: .badRequest)
        try await InterestCompiling.check(interests)
        try await store.setInterests(queue: queue, interests: interests, now: now)
        await refreshInterests()
        return InterestsSet(queue: queue, interests: interests)
    }

    /// Removes a queue's interests; it stays and receives nothing new (`DELETE /interest`).
    public func clearInterests(queue: String) async throws -> QueueDeletion {
        try QueueName.validate([queue], code: .badRequest)
        guard try await store.clearInterests(queue: queue) else { throw Self.unknownQueue(queue) }
        await refreshInterests()
        return QueueDeletion(queue: queue, tasksDeleted: nil)
    }

    /// Removes a queue, its interests and its waiting tasks (`DELETE /queue`).
    public func deleteQueue(queue: String) async throws -> QueueDeletion {
        try QueueName.validate([queue], code: .badRequest)
        guard let removed = try await store.deleteQueue(queue: queue) else { throw Self.unknownQueue(queue) }
        await refreshInterests()
        return QueueDeletion(queue: queue, tasksDeleted: removed)
    }

    static func unknownQueue(_ queue: String) -> EngineError {
        EngineError(.queueNotFound, "no queue is named \"\(queue.prefix(140))\"")
    }
}
