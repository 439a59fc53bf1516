import CouchQueueModel
import CouchQueueStore

extension QueueEngine {
    /// Answers the asked sections; one unknown part makes the whole answer its `404`.
    public func status(_ query: StatusQuery) async throws -> StatusResponse {
        let now = self.now
        var response = StatusResponse()
        if let name = query.queue {
            try QueueName.validate([name], code: .badRequest)
            guard let summary = try await store.queueSummary(name: name, now: now) else { throw Self.unknownQueue(name) }
            response.queue = summary
        }
        if let workerId = query.workerQueue {
            guard let length = try await store.workerQueueLength(workerId: workerId) else {
                throw StoreError.workerNotFound(workerId)
            }
            response.workerQueue = WorkerQueueSummary(workerId: workerId, length: length)
        }
        if let taskId = query.task {
            guard let task = try await store.task(id: taskId, now: now) else { throw StoreError.taskNotFound(taskId) }
            response.task = task
        }
        if query.queues { response.queues = try await store.queueOverviews(now: now) }
        if query.interests { response.interests = try await store.allInterests() }
        if query.workers { response.workers = try await store.workers() }
        if query.failedQueue {
            try query.checkPaging()
            response.failedQueue = try await store.failedTasks(
                offset: query.failedOffset, limit: query.failedLimit, maxBytes: query.failedMaxBytes, now: now)
        }
        if query.fastPost { response.fastPost = fastPosts.counts }
        return response
    }
}
