import CouchQueueEngine
import CouchQueueModel

/// `/status` and `/health`.
enum StatusController {
    private static let sections = ["queue", "queues", "workerQueue", "interests", "workers", "failedQueue", "task"]

    static func status(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        var query = sections.contains(where: parameters.has) ? StatusQuery() : StatusQuery.overview
        query.queue = try parameters.string("queue")
        query.workerQueue = try parameters.string("workerQueue")
        query.task = try parameters.string("task")
        query.queues = try parameters.bool("queues") ?? query.queues
        query.interests = try parameters.bool("interests") ?? query.interests
        query.workers = try parameters.bool("workers") ?? query.workers
        query.failedQueue = try parameters.bool("failedQueue") ?? query.failedQueue
        query.failedOffset = try parameters.int("offset") ?? query.failedOffset
        query.failedLimit = try parameters.int("limit") ?? query.failedLimit
        return APIResult(try await engine.status(query))
    }

    static func health(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        do {
            try await engine.health()
        } catch {
            throw APIError(.serviceUnavailable, "store_unavailable", "the store cannot be reached")
        }
        return APIResult(HealthResponse(status: "ok"))
    }
}
