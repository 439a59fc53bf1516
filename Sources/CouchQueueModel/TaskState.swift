/// Where a task is in its life. The wire spells these exactly.
public enum TaskState: String, Codable, Sendable, CaseIterable {
    /// Waiting with `runAt` in the future. Becomes `queued` by the passing of time alone.
    case scheduled
    /// Waiting and due. A lease (`GET /task`) moves it to `started`.
    case queued
    /// Leased by a worker. The worker's finish, the worker's deletion or the lease's expiry moves it on.
    case started
    /// Finished with `success`. Kept for the retention period, then swept.
    case succeeded
    /// Finished with `fail`: it sits in the failed queue until someone removes it.
    case failed
}

/// Who gets a copy of a published task.
public enum TaskScope: String, Codable, Sendable, CaseIterable {
    /// One copy per interested queue, taken by one worker.
    case any
    /// One copy per worker registered on an interested queue, in that worker's own queue.
    case all
}

/// How a worker reports a run.
public enum TaskOutcome: String, Codable, Sendable, CaseIterable {
    case success
    case fail
}
