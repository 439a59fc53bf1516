/// A change that servers sharing a store must react to, announced by the store.
public enum StoreChange: Sendable, Equatable {
    /// Some queue's interests changed: reload them before routing the next task.
    case interestsChanged
    /// Tasks became available under these keys (queue names, or worker ids for own copies).
    case tasksAvailable([String])
    /// Tasks under these keys fall due at this unix time.
    case tasksDue([String], at: Double)
    /// Notifications may have been missed: reload interests and wake every waiting worker.
    case resync
}
