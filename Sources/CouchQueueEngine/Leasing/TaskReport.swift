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
