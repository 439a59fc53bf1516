import CouchQueueModel

/// One publication's copies as routing decided them.
public struct InsertTasksParams: Sendable {
    public var publicationId: String
    public var publisher: String
    /// The task's data as canonical JSON text (`JSONValue.canonicalText`).
    public var data: String
    /// The interested queues; with scope `all`, each worker registered on one of them gets one
    /// copy, named after the first of them in its priority order.
    public var queues: [String]
    public var scope: TaskScope
    public var singularlyEnqueue: Bool
    public var singularlyRun: Bool
    public var runAt: Double
    public var now: Double
    /// What the store checks of routing as it inserts; nil asks for no check.
    public var routingCheck: RoutingCheck?

    public init(
        publicationId: String, publisher: String, data: String, queues: [String], scope: TaskScope,
        singularlyEnqueue: Bool, singularlyRun: Bool, runAt: Double, now: Double, routingCheck: RoutingCheck? = nil
    ) {
        self.routingCheck = routingCheck
        self.publicationId = publicationId
        self.publisher = publisher
        self.data = data
        self.queues = queues
        self.scope = scope
        self.singularlyEnqueue = singularlyEnqueue
        self.singularlyRun = singularlyRun
        self.runAt = runAt
        self.now = now
    }
}

/// How a store makes sure, as it inserts a publication's copies, that no change of interests
/// it must follow came after its routing; if one did, it refuses the insert whole with
/// `StoreError.staleInterests`, and the engine routes again.
public enum RoutingCheck: Sendable, Equatable {
    /// Routed with the interests at this version: refused once any server has changed
    /// interests since, as the change may have come before the publish began.
    case routedAt(Int64)
    /// Routed with interests that hold every change committed before the publish began (read
    /// after it began): later changes are concurrent with it and may be ordered after it, so
    /// only a queue it goes to that no longer has the interests that chose it (as
    /// `StoredText.interests` writes them, by queue) refuses it: one deleted since, which
    /// would leave its copies behind, or re-created or changed to interests it may not match.
    case queuesHold([String: String])
}

public struct LeaseParams: Sendable {
    public var workerId: String
    public var now: Double
    public var leaseExpiresAt: Double
    /// The most tasks to hand out at once.
    public var limit: Int
    public init(workerId: String, now: Double, leaseExpiresAt: Double, limit: Int = 1) {
        self.workerId = workerId
        self.now = now
        self.leaseExpiresAt = leaseExpiresAt
        self.limit = limit
    }
}

public struct FinishParams: Sendable {
    public var workerId: String
    public var taskId: String
    public var outcome: TaskOutcome
    public var failReason: String?
    public var reEnqueue: Bool
    /// The attempt the worker holds; nil skips the fencing check.
    public var attempt: Int?
    public var now: Double

    public init(
        workerId: String, taskId: String, outcome: TaskOutcome, failReason: String?, reEnqueue: Bool,
        attempt: Int?, now: Double
    ) {
        self.workerId = workerId
        self.taskId = taskId
        self.outcome = outcome
        self.failReason = failReason
        self.reEnqueue = reEnqueue
        self.attempt = attempt
        self.now = now
    }
}

extension FinishParams {
    /// The state the report leaves its task in.
    public var newState: TaskState { reEnqueue ? .queued : outcome == .success ? .succeeded : .failed }
    /// A success keeps the reason of an earlier failed run; a re-enqueued success clears it.
    public var keepsFailReason: Bool { !reEnqueue && outcome == .success }
    /// The reason stored unless `keepsFailReason`.
    public var newFailReason: String? { outcome == .fail ? failReason : nil }
}

/// A finished task, and the tasks its worker leased next in the same transaction.
public struct FinishedTask: Sendable {
    public var task: QueueTask
    public var next: [QueueTask]
    public init(task: QueueTask, next: [QueueTask]) {
        self.task = task
        self.next = next
    }
}

public struct RegisterWorkerParams: Sendable {
    public var workerId: String
    /// Queue names in priority order.
    public var queues: [String]
    public var now: Double
    public init(workerId: String, queues: [String], now: Double) {
        self.workerId = workerId
        self.queues = queues
        self.now = now
    }
}

public struct HeartbeatParams: Sendable {
    public var workerId: String
    /// Renew only these leases; nil renews every lease the worker holds.
    public var taskIds: [String]?
    public var now: Double
    public var leaseExpiresAt: Double
    public init(workerId: String, taskIds: [String]?, now: Double, leaseExpiresAt: Double) {
        self.workerId = workerId
        self.taskIds = taskIds
        self.now = now
        self.leaseExpiresAt = leaseExpiresAt
    }
}

/// Which workers `deleteWorkers` removes.
public enum WorkerSelection: Sendable, Equatable {
    /// One worker; the store throws `StoreError.workerNotFound` when it is unknown.
    case id(String)
    /// Every worker registered on the queue (possibly none).
    case queue(String)
}
