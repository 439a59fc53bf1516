import CouchQueueEngine
import CouchQueueModel
import CouchQueueStore

/// `/status` and `/health`.
enum StatusController {
    private static let sections = ["queue", "queues", "workerQueue", "interests", "workers", "failedQueue", "task", "fastPost"]

    static func status(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        var query = sections.contains(where: parameters.has) ? StatusQuery() : StatusQuery.overview
        query.queue = try parameters.nonEmptyString("queue")
        query.workerQueue = try parameters.nonEmptyString("workerQueue")
        query.task = try parameters.nonEmptyString("task")
        query.queues = try parameters.flag("queues") ?? query.queues
        query.interests = try parameters.flag("interests") ?? query.interests
        query.workers = try parameters.flag("workers") ?? query.workers
        query.failedQueue = try parameters.flag("failedQueue") ?? query.failedQueue
        query.fastPost = try parameters.flag("fastPost") ?? query.fastPost
        query.failedOffset = try parameters.int("offset") ?? query.failedOffset
        query.failedLimit = try parameters.int("limit") ?? query.failedLimit
        return await APIResult.encodedOffTheLoop(try await engine.status(query))
    }

    static func health(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        do {
            try await engine.health()
        } catch {
            throw error as? StoreUnavailable ?? StoreUnavailable("\(error)")  // the cause goes to the log, not to the client
        }
        return APIResult(HealthResponse(status: "ok"))
    }
}
