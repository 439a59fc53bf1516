import CouchQueueModel
import CouchQueueStore

extension QueueEngine {
    /// Registers a worker on queues in priority order (`PUT /worker`).
    public func registerWorker(queues: [String]) async throws -> WorkerRegistration {
        var seen = Set<String>()
        let ordered = queues.filter { seen.insert($0).inserted }
        guard !ordered.isEmpty else { throw EngineError(.invalidQueues, "queues must name at least one queue") }
        guard ordered.count <= 1000 else { throw EngineError(.invalidQueues, "queues may name at most 1000 queues") }
        if ordered.contains("*") {
            throw EngineError(.invalidQueues, "a worker names its queues: \"*\" is not allowed")
        }
        try QueueName.validate(ordered, code: .invalidQueues)
        let id = RandomID.make("w")
        try await store.registerWorker(RegisterWorkerParams(workerId: id, queues: ordered, now: now))
        return WorkerRegistration(workerId: id, queues: ordered)
    }

    /// Deletes one worker or every worker on a queue (`DELETE /worker`).
    public func deleteWorkers(_ selection: WorkerSelection) async throws -> WorkersDeleted {
        if case .queue(let queue) = selection { try QueueName.validate([queue], code: .badRequest) }
        let deleted = try await store.deleteWorkers(selection)
        if deleted > 0 { waitingWorkers.wakeAll() }
        return WorkersDeleted(deleted: deleted)
    }
}
