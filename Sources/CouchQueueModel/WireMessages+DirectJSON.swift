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
