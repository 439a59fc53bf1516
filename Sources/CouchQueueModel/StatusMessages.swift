/// `GET /status`: one optional key per section asked for.
public struct StatusResponse: Codable, Sendable {
    public var queue: QueueSummary?
    public var queues: [QueueOverview]?
    public var workerQueue: WorkerQueueSummary?
    public var interests: [String: Interests]?
    public var workers: [WorkerSummary]?
    public var failedQueue: FailedQueuePage?
    public var task: QueueTask?
    public var fastPost: FastPostCounts?

    public init() {}
}

/// `status.fastPost` (an addition to the contract): this server's `fastPost` publications
/// since it started. A failed one was answered `202` and logged, never stored.
public struct FastPostCounts: Codable, Sendable, Equatable {
    public var accepted = 0
    public var stored = 0
    public var failed = 0
    public init() {}
}

/// `status.queue`: `length` counts due waiting tasks (`queued`).
public struct QueueSummary: Codable, Sendable, Equatable {
    public var name: String
    public var length: Int
    public var scheduled: Int
    public var started: Int
    public init(name: String, length: Int, scheduled: Int, started: Int) {
        self.name = name
        self.length = length
        self.scheduled = scheduled
        self.started = started
    }
}

/// A row of `status.queues`.
public struct QueueOverview: Codable, Sendable, Equatable {
    public var name: String
    public var length: Int
    public var scheduled: Int
    public var started: Int
    public var failed: Int
    public var workers: Int
    public init(name: String, length: Int, scheduled: Int, started: Int, failed: Int, workers: Int) {
        self.name = name
        self.length = length
        self.scheduled = scheduled
        self.started = started
        self.failed = failed
        self.workers = workers
    }
}

/// `status.workerQueue`: a worker's waiting scope `all` copies.
public struct WorkerQueueSummary: Codable, Sendable, Equatable {
    public var workerId: String
    public var length: Int
    public init(workerId: String, length: Int) {
        self.workerId = workerId
        self.length = length
    }
}

/// Whether a worker holds tasks.
public enum WorkerStatus: String, Codable, Sendable {
    case idle
    case working
}

/// A row of `status.workers`.
public struct WorkerSummary: Codable, Sendable, Equatable {
    public var workerId: String
    public var queues: [String]
    public var status: WorkerStatus
    public var tasks: [String]
    public var registeredAt: Double
    public var lastSeenAt: Double
    public init(workerId: String, queues: [String], tasks: [String], registeredAt: Double, lastSeenAt: Double) {
        self.workerId = workerId
        self.queues = queues
        self.status = tasks.isEmpty ? .idle : .working
        self.tasks = tasks
        self.registeredAt = registeredAt
        self.lastSeenAt = lastSeenAt
    }
}

/// `status.failedQueue`: newest first, paged by `offset` and `limit`, and by size: a page
/// ends before the task that would take its tasks' data and fail reasons past a bound, so
/// that one status of large failed tasks cannot take the server's memory (`cut`, in the store).
public struct FailedQueuePage: Codable, Sendable {
    public var length: Int
    public var tasks: [QueueTask]
    /// Where the next page starts, when this one ended early for its size; absent otherwise.
    public var nextOffset: Int?

    public init(length: Int, tasks: [QueueTask], nextOffset: Int? = nil) {
        self.length = length
        self.tasks = tasks
        self.nextOffset = nextOffset
    }
}
