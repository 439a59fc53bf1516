import CouchQueueModel

extension CouchQueueClient {
    @discardableResult
    public func setInterests(queue: String, interests: [String: String]) async throws -> InterestsSet {
        try await call(.PUT, "/interest", [
            "queue": .string(queue), "interests": .object(interests.mapValues { .string($0) }),
        ], as: InterestsSet.self)
    }

    @discardableResult
    public func deleteQueue(_ queue: String) async throws -> QueueDeletion {
        try await call(.DELETE, "/queue", ["queue": .string(queue)], as: QueueDeletion.self)
    }

    public func registerWorker(queues: [String]) async throws -> WorkerRegistration {
        try await call(.PUT, "/worker", ["queues": .array(queues.map { .string($0) })], as: WorkerRegistration.self)
    }

    @discardableResult
    public func deleteWorker(_ workerId: String) async throws -> WorkersDeleted {
        try await call(.DELETE, "/worker", ["workerId": .string(workerId)], as: WorkersDeleted.self)
    }

    @discardableResult
    public func publish(publisher: String, data: [String: JSONValue]) async throws -> PublishResponse {
        try await call(.PUT, "/task", ["publisher": .string(publisher), "data": .object(data)], as: PublishResponse.self)
    }

    /// The worker's next task, waiting up to `wait` seconds for one; nil when there is none.
    public func lease(workerId: String, wait: Double? = nil) async throws -> QueueTask? {
        var body: [String: JSONValue] = ["workerId": .string(workerId)]
        if let wait { body["wait"] = .double(wait) }
        return try await call(.POST, "/api/taskGet", body, as: TaskResponse.self).task
    }

    @discardableResult
    public func finish(workerId: String, task: QueueTask, outcome: TaskOutcome) async throws -> QueueTask? {
        try await call(.POST, "/task", [
            "workerId": .string(workerId), "taskId": .string(task.id), "state": .string(outcome.rawValue),
            "attempt": .int(Int64(task.attempts)),
        ], as: TaskResponse.self).task
    }

    public func queueSummary(_ queue: String) async throws -> QueueSummary? {
        try await call(.GET, "/status?queue=\(queue)", as: StatusResponse.self).queue
    }
}
