import CouchQueueModel

/// Where queues, interests, workers and tasks live. Every method is one atomic domain
/// operation: it happens entirely or not at all, and a method that answers has made its
/// change durable; a store may answer leases, renewals and reports once they survive its
/// server's crash, before they survive a power loss, since losing one only delivers a task
/// again (at least once).
///
/// Invariants every conforming store keeps (each is a named check in the conformance suite,
/// `Tests/CouchQueueStoreTests/Conformance`, run against every store):
/// - a task is started by at most one worker at a time, and a lease hands out a task only
///   once it is due (`runAt <= now`);
/// - a finish is accepted only from the worker holding the task, at the attempt it holds;
/// - a worker's own scope `all` copies come before its queues, queues in priority order,
///   oldest due task first (by `runAt`, then publication order);
/// - `singularlyRun` tasks are not handed out while a twin (same queue, same data) is started;
/// - bad input changes nothing: a method that throws has written nothing.
///
/// Time is always a parameter, so that tests never sleep.
public protocol QueueStore: Sendable {
    // MARK: Queues and interests

    /// Creates the queue if needed and replaces its interests.
    func setInterests(queue: String, interests: Interests, now: Double) async throws
    /// Clears a queue's interests; `false` when the queue is unknown.
    func clearInterests(queue: String) async throws -> Bool
    /// Removes a queue, its interests and its waiting tasks; nil when the queue is unknown,
    /// else how many tasks were removed. Started tasks stay with their workers.
    func deleteQueue(queue: String) async throws -> Int?
    /// Every queue that has interests, by name.
    func allInterests() async throws -> [String: Interests]
    /// A number that grows whenever any server changes any queue's interests, so a server
    /// can tell, before routing, that the interests it holds are stale. A store only one
    /// server uses may answer a constant: that server sees every change itself.
    func interestsVersion() async throws -> Int64

    // MARK: Workers

    func registerWorker(_ params: RegisterWorkerParams) async throws
    /// Records a sign of life, renews leases, and answers every task the worker holds.
    /// Throws `StoreError.workerNotFound`.
    func heartbeat(_ params: HeartbeatParams) async throws -> [String]
    /// Deletes workers; their started tasks go back to their queues, their own copies are dropped.
    func deleteWorkers(_ selection: WorkerSelection) async throws -> Int

    // MARK: Tasks

    /// Stores the copies of one publication that routing decided on.
    func insertTasks(_ params: InsertTasksParams) async throws -> [PublishedTask]
    /// Hands the worker its next tasks, up to `limit`, in one transaction and in the order that
    /// leases one at a time would hand them out; none when there is nothing to do.
    /// Throws `StoreError.workerNotFound`.
    func leaseTasks(_ params: LeaseParams) async throws -> [QueueTask]
    /// Whether a lease would find a due task for the worker (its own copies, then its
    /// queues), read without writing anything: a parked lease's periodic re-check asks this
    /// first, since a lease writes a sign of life. It may answer true where a lease finds
    /// nothing (a `singularlyRun` task behind a started twin). nil when the worker is unknown.
    func hasDueTasks(workerId: String, now: Double) async throws -> Bool?
    /// Records the outcome of a run and, with `next`, hands the same worker its next tasks in
    /// the same transaction, so that a worker reports and takes its next task in one round trip.
    /// A refused finish leases nothing. Throws `workerNotFound`, `taskNotFound` or `notLeased`.
    func finishTask(_ params: FinishParams, thenLease next: LeaseParams?) async throws -> FinishedTask
    /// Records several outcomes at once, each on its own: a refused report changes nothing and
    /// is answered with its `StoreError`, the others are recorded. Answers in the order of
    /// `reports`; throws only when the store fails.
    func finishTasks(_ reports: [FinishParams]) async throws -> [Result<QueueTask, StoreError>]

    // MARK: Reads

    func task(id: String, now: Double) async throws -> QueueTask?
    func queueSummary(name: String, now: Double) async throws -> QueueSummary?
    func queueOverviews(now: Double) async throws -> [QueueOverview]
    /// The number of a worker's waiting copies; nil when the worker is unknown.
    func workerQueueLength(workerId: String) async throws -> Int?
    func workers() async throws -> [WorkerSummary]
    func worker(id: String) async throws -> WorkerSummary?
    /// The failed tasks from `offset`, newest first: `limit` of them at most, and no more than
    /// fit in `maxBytes` (`FailedQueuePage.cut`), reading no more of them than that.
    func failedTasks(offset: Int, limit: Int, maxBytes: Int, now: Double) async throws -> FailedQueuePage
    /// Throws when the store cannot be reached.
    func ping() async throws

    /// Changes announced by other servers sharing this store (and by this one), for as long
    /// as the store is open. A store only one server can use finishes it at once.
    func changes() -> AsyncStream<StoreChange>

    // MARK: Maintenance (each returns how many rows it changed)

    /// Returns tasks whose lease ran out to their queues.
    func expireLeases(now: Double) async throws -> Int
    /// Deletes workers that hold no task and were last seen before `lastSeenBefore`.
    func reapWorkers(lastSeenBefore: Double) async throws -> Int
    /// Deletes up to `limit` succeeded tasks that finished before `finishedBefore`.
    func sweepSucceeded(finishedBefore: Double, limit: Int) async throws -> Int

    /// Flushes and closes. Nothing may be called afterwards.
    func close() async throws
}
