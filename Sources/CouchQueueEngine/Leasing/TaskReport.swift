import CouchQueueModel

/// A worker's report on one task it ran: `POST /task`, or one entry of `POST /tasks`.
public struct TaskReport: Sendable {
    public var taskId: String
    public var outcome: TaskOutcome
    public var failReason: String?
    /// The task goes back to its queue after this run instead of finishing.
    public var reEnqueue: Bool
    /// The task's `attempts` as the worker received it; a stale one is refused (`notLeased`).
    public var attempt: Int?

    public init(taskId: String, outcome: TaskOutcome, failReason: String? = nil, reEnqueue: Bool = false, attempt: Int? = nil) {
        self.taskId = taskId
        self.outcome = outcome
        self.failReason = failReason
        self.reEnqueue = reEnqueue
        self.attempt = attempt
    }
}

/// What a worker asks for with its report: its next tasks, in the same call (`next`), so that
/// a worker that reports and takes its next task needs one round trip per task.
public struct NextLease: Sendable {
    /// The most tasks to lease.
    public var limit: Int
    /// How long to hold the answer back when no task is due, as `GET /task?wait=`.
    public var wait: Double?

    public init(limit: Int = 1, wait: Double? = nil) {
        self.limit = limit
        self.wait = wait
    }
}
