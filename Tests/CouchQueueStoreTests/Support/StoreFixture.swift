import CouchQueueModel
import CouchQueueStore
import Testing

/// Short spellings for the store operations the checks repeat. Time is explicit: `t0` is an
/// arbitrary fixed instant and checks move it by hand.
struct StoreFixture {
    let store: any QueueStore
    static let t0 = 1_000_000.0
    static let lease = 60.0

    init(_ store: any QueueStore) {
        self.store = store
    }

    @discardableResult
    func publish(
        _ queues: [String], data: String = #"{"k":1}"#, scope: TaskScope = .any, singularlyEnqueue: Bool = false,
        singularlyRun: Bool = false, runAt: Double? = nil, now: Double = t0
    ) async throws -> [PublishedTask] {
        // Tasks wait only in queues that exist: a queue is created as the engine would, and left
        // without interests unless the check gives it some.
        for queue in queues where try await store.queueSummary(name: queue, now: now) == nil {
            try await store.setInterests(queue: queue, interests: .everything, now: now)
            _ = try await store.clearInterests(queue: queue)
        }
        return try await store.insertTasks(
            InsertTasksParams(
                publicationId: RandomID.make("p"), publisher: "tests", data: data, queues: queues, scope: scope,
                singularlyEnqueue: singularlyEnqueue, singularlyRun: singularlyRun, runAt: runAt ?? now, now: now))
    }

    func worker(_ queues: [String], now: Double = t0) async throws -> String {
        let id = RandomID.make("w")
        try await store.registerWorker(RegisterWorkerParams(workerId: id, queues: queues, now: now))
        return id
    }

    func lease(_ worker: String, now: Double = t0) async throws -> QueueTask? {
        try await lease(worker, limit: 1, now: now).first
    }

    func lease(_ worker: String, limit: Int, now: Double = t0) async throws -> [QueueTask] {
        try await store.leaseTasks(LeaseParams(workerId: worker, now: now, leaseExpiresAt: now + Self.lease, limit: limit))
    }

    @discardableResult
    func finish(
        _ worker: String, _ task: String, _ outcome: TaskOutcome = .success, reEnqueue: Bool = false,
        attempt: Int? = nil, failReason: String? = nil, now: Double = t0
    ) async throws -> QueueTask {
        try await store.finishTask(
            FinishParams(
                workerId: worker, taskId: task, outcome: outcome, failReason: failReason, reEnqueue: reEnqueue,
                attempt: attempt, now: now),
            thenLease: nil
        ).task
    }

    /// Reports success on `task` and leases up to `limit` next tasks in the same step.
    func finishThenLease(_ worker: String, _ task: String, reEnqueue: Bool = false, limit: Int, now: Double = t0) async throws -> FinishedTask {
        try await store.finishTask(
            FinishParams(workerId: worker, taskId: task, outcome: .success, failReason: nil, reEnqueue: reEnqueue, attempt: nil, now: now),
            thenLease: LeaseParams(workerId: worker, now: now, leaseExpiresAt: now + Self.lease, limit: limit))
    }

    func interested(_ queue: String) async throws {
        try await store.setInterests(queue: queue, interests: .everything, now: Self.t0)
    }

    func state(_ task: String, now: Double = t0) async throws -> TaskState? {
        try await store.task(id: task, now: now)?.state
    }
}

/// Asserts that `body` throws this store error.
func expectStoreError(_ expected: StoreError.Code, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(expected), but nothing was thrown")
    } catch let error as StoreError {
        #expect(error.code == expected)
    } catch {
        Issue.record("expected \(expected), got \(error)")
    }
}
