/// The hottest answers, written straight to bytes (see `JSONDirectlyWritable`).
extension PublishedTask: JSONDirectlyWritable {
    public func write(to object: inout JSONObjectWriter) {
        object.add("id", id)
        object.add("queue", queue)
        object.add("workerId", workerId)
        object.add("state", state.rawValue)
        object.add("duplicate", duplicate)
    }
}

extension PublishResponse: JSONDirectlyWritable {
    public func write(to object: inout JSONObjectWriter) {
        object.add("id", id)
        object.add("tasks", objects: tasks)
    }
}

extension TaskResponse: JSONDirectlyWritable {
    public func write(to object: inout JSONObjectWriter) {
        object.add("task", object: task)
        if let next { object.add("next", objects: next) }
    }
}

extension ErrorResponse.Detail: JSONDirectlyWritable {
    public func write(to object: inout JSONObjectWriter) {
        object.add("code", code)
        object.add("message", message)
    }
}

extension ErrorResponse: JSONDirectlyWritable {
    public func write(to object: inout JSONObjectWriter) {
        object.add("error", object: error)
    }
}

extension LeaseResponse: JSONDirectlyWritable {
    public func write(to object: inout JSONObjectWriter) {
        object.add("task", object: task)
        object.add("tasks", objects: tasks)
    }
}

extension TaskReportsResponse.Entry: JSONDirectlyWritable {
    public func write(to object: inout JSONObjectWriter) {
        switch self {
        case .task(let task): object.add("task", object: task)
        case .error(let detail): object.add("error", object: detail)
        }
    }
}

extension TaskReportsResponse: JSONDirectlyWritable {
    public func write(to object: inout JSONObjectWriter) {
        object.add("results", objects: results)
        if let next { object.add("next", objects: next) }
    }
}

/// A status's page of failed tasks is as large as their data, fifty tasks by default: written
/// directly, each task's stored text is copied into the answer instead of being parsed into a
/// tree and written again (fifty tasks of 400 KB: 0.08-0.14 s a status instead of 0.20-0.27,
/// as a Python client saw it).
extension FailedQueuePage: JSONDirectlyWritable {
    public func write(to object: inout JSONObjectWriter) {
        object.add("length", length)
        object.add("tasks", objects: tasks)
        if let nextOffset { object.add("nextOffset", nextOffset) }
    }
}

extension StatusResponse: JSONDirectlyWritable {
    public func write(to object: inout JSONObjectWriter) {
        if let queue { object.add("queue", encoded: queue) }
        if let queues { object.add("queues", encoded: queues) }
        if let workerQueue { object.add("workerQueue", encoded: workerQueue) }
        if let interests { object.add("interests", encoded: interests) }
        if let workers { object.add("workers", encoded: workers) }
        if let failedQueue { object.add("failedQueue", object: failedQueue) }
        if let task { object.add("task", object: task) }
        if let fastPost { object.add("fastPost", encoded: fastPost) }
    }
}
