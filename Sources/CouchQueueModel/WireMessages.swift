/// The bodies of the API's answers, named after what they answer. Shared by server and client.

/// One copy that a publish created (or found, with `singularlyEnqueue`).
public struct PublishedTask: Codable, Sendable, Equatable {
    public var id: String
    public var queue: String
    public var workerId: String?
    public var state: TaskState
    public var duplicate: Bool

    public init(id: String, queue: String, workerId: String?, state: TaskState, duplicate: Bool) {
        self.id = id
        self.queue = queue
        self.workerId = workerId
        self.state = state
        self.duplicate = duplicate
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(queue, forKey: .queue)
        try c.encode(workerId, forKey: .workerId)
        try c.encode(state, forKey: .state)
        try c.encode(duplicate, forKey: .duplicate)
    }
}

/// `PUT /task` without `fastPost`.
public struct PublishResponse: Codable, Sendable {
    public var id: String
    public var tasks: [PublishedTask]
    public init(id: String, tasks: [PublishedTask]) {
        self.id = id
        self.tasks = tasks
    }
}

/// `PUT /task` with `fastPost`.
public struct FastPublishResponse: Codable, Sendable {
    public var id: String
    public var accepted: Bool
    public init(id: String) {
        self.id = id
        self.accepted = true
    }
}

/// `GET /task` and `POST /task`: a task, or `null` when there is nothing to do.
public struct TaskResponse: Codable, Sendable {
    public var task: QueueTask?
    /// `POST /task` with `next`: the tasks the worker leased next; absent otherwise.
    public var next: [QueueTask]?
    public init(task: QueueTask?, next: [QueueTask]? = nil) {
        self.task = task
        self.next = next
    }

    /// `task` is written even when null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(task, forKey: .task)
        try c.encodeIfPresent(next, forKey: .next)
    }
}

/// `GET /task` with `count`: the tasks handed out, and the first of them as `task`, so that
/// the answer reads as the single lease's does.
public struct LeaseResponse: Encodable, Sendable {
    public var task: QueueTask?
    public var tasks: [QueueTask]
    public init(tasks: [QueueTask]) {
        self.task = tasks.first
        self.tasks = tasks
    }

    private enum CodingKeys: String, CodingKey { case task, tasks }

    /// `task` is written even when null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(task, forKey: .task)
        try c.encode(tasks, forKey: .tasks)
    }
}

/// `POST /tasks`: per report, in order, the task as updated or why it was not.
public struct TaskReportsResponse: Encodable, Sendable {
    public enum Entry: Encodable, Sendable {
        case task(QueueTask)
        case error(ErrorResponse.Detail)

        private enum CodingKeys: String, CodingKey { case task, error }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .task(let task): try c.encode(task, forKey: .task)
            case .error(let detail): try c.encode(detail, forKey: .error)
            }
        }
    }

    public var results: [Entry]
    /// With `next`: the tasks the worker leased after its reports; absent otherwise.
    public var next: [QueueTask]?
    public init(results: [Entry], next: [QueueTask]? = nil) {
        self.results = results
        self.next = next
    }
}

/// `PUT /worker`.
public struct WorkerRegistration: Codable, Sendable {
    public var workerId: String
    public var queues: [String]
    public init(workerId: String, queues: [String]) {
        self.workerId = workerId
        self.queues = queues
    }
}

/// `POST /worker`: every task the worker holds.
public struct HeartbeatResponse: Codable, Sendable {
    public var workerId: String
    public var tasks: [String]
    public init(workerId: String, tasks: [String]) {
        self.workerId = workerId
        self.tasks = tasks
    }
}

/// `DELETE /worker`.
public struct WorkersDeleted: Codable, Sendable {
    public var deleted: Int
    public init(deleted: Int) { self.deleted = deleted }
}

/// `PUT /interest`.
public struct InterestsSet: Codable, Sendable {
    public var queue: String
    public var interests: Interests
    public init(queue: String, interests: Interests) {
        self.queue = queue
        self.interests = interests
    }
}

/// `DELETE /interest` and `DELETE /queue` (which adds `tasksDeleted`).
public struct QueueDeletion: Codable, Sendable {
    public var queue: String
    public var deleted: Bool
    public var tasksDeleted: Int?
    public init(queue: String, tasksDeleted: Int?) {
        self.queue = queue
        self.deleted = true
        self.tasksDeleted = tasksDeleted
    }
}

/// `GET /health`.
public struct HealthResponse: Codable, Sendable {
    public var status: String
    public init(status: String) { self.status = status }
}

/// The contract's error body: `{"error": {"code": …, "message": …}}`.
public struct ErrorResponse: Codable, Sendable {
    public struct Detail: Codable, Sendable {
        public var code: String
        public var message: String
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }
    public var error: Detail
    public init(code: String, message: String) { self.error = Detail(code: code, message: message) }
}
