import CouchQueueModel

/// Decisions every store makes the same way, so that stores differ only in how they query.
public enum StoreRules {
    /// Whose waiting workers a report on `task` may have given work: its queue (or owner) when
    /// it waits again, its queue when it was a `singularlyRun` task (a twin may go now).
    public static func keyFreed(by task: QueueTask) -> String? {
        if task.state == .queued { return task.workerId ?? task.queue }
        return task.singularlyRun ? task.queue : nil
    }

    /// A worker's registration on one queue, at its place in the worker's priority order.
    public struct Registration: Sendable {
        public let worker: String
        public let queue: String
        public let position: Int
        public init(worker: String, queue: String, position: Int) {
            self.worker = worker
            self.queue = queue
            self.position = position
        }
    }

    /// Where a publication's copies go. Scope `any`: one per queue, owned by nobody. Scope
    /// `all`: one per registered worker, in the first interested queue of its priority order
    /// (`registrations` are those on the interested queues).
    public static func copies(_ params: InsertTasksParams, registrations: [Registration]) -> [(queue: String, owner: String?)] {
        guard params.scope == .all else { return params.queues.map { ($0, nil) } }
        var first: [String: Registration] = [:]
        for registration in registrations where first[registration.worker].map({ registration.position < $0.position }) ?? true {
            first[registration.worker] = registration
        }
        return first.values.sorted { $0.worker < $1.worker }.map { ($0.queue, $0.worker) }
    }

    /// The state a waiting task shows.
    public static func waitingState(runAt: Double, now: Double) -> TaskState {
        runAt > now ? .scheduled : .queued
    }

    /// A finish is accepted only from the worker holding the task, at the attempt it holds.
    public static func checkFinish(_ params: FinishParams, state: String, holder: String?, attempts: Int) throws(StoreError) {
        guard state == TaskState.started.rawValue, holder == params.workerId, params.attempt.map({ $0 == attempts }) ?? true else {
            throw StoreError.notLeased(params.taskId)
        }
    }
}
