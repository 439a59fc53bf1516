import CouchQueueEngine
import CouchQueueStore

/// `/worker`: register, heartbeat, delete.
enum WorkerController {
    static func register(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        guard let queues = try parameters.list("queues") else {
            throw APIError.badRequest("queues is required: queue names in priority order")
        }
        return APIResult(.created, try await engine.registerWorker(queues: queues))
    }

    static func heartbeat(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        APIResult(try await engine.heartbeat(
            workerId: try parameters.requiredString("workerId"), taskIds: try parameters.idList("tasks")))
    }

    static func delete(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        let selection: WorkerSelection
        // Given but empty is refused, not taken as absent: it would select by the other one.
        switch (try parameters.nonEmptyString("workerId"), try parameters.nonEmptyString("queue")) {
        case (let id?, nil): selection = .id(id)
        case (nil, let queue?): selection = .queue(queue)
        default: throw APIError.badRequest("give exactly one of workerId and queue")
        }
        return APIResult(try await engine.deleteWorkers(selection))
    }
}
