import CouchQueueModel
import CouchQueueStore

extension QueueEngine {
    /// Hands the worker its next task. With `wait`, an empty answer is held back until a task
    /// arrives for the worker or the wait runs out (capped by `maxLeaseWait`).
    public func lease(workerId: String, wait: Double? = nil) async throws -> QueueTask? {
        let clock = ContinuousClock()
        let waitSeconds = min(max(wait ?? 0, 0), options.maxLeaseWait)
        let deadline = clock.now.advanced(by: .milliseconds(Int64(waitSeconds * 1000)))
        var keys: [String]?
        while true {
            let now = self.now
            if let task = try await store.leaseTask(
                LeaseParams(workerId: workerId, now: now, leaseExpiresAt: now + options.leaseTimeout))
            {
                return task
            }
            guard clock.now < deadline, !waitingWorkers.isClosed else { return nil }
            if keys == nil {
                keys = try await store.worker(id: workerId).map { [workerId] + $0.queues } ?? [workerId]
            }
            // Wake-ups can be missed (a lost notification; tasks scheduled before a restart):
            // look again at least every second.
            await waitingWorkers.wait(for: keys!, until: min(deadline, clock.now.advanced(by: .seconds(1))))
        }
    }

    /// Records a run's outcome (`POST /task`).
    public func finish(
        workerId: String, taskId: String, outcome: TaskOutcome, failReason: String?, reEnqueue: Bool, attempt: Int?
    ) async throws -> QueueTask {
        if let failReason, failReason.utf8.count > 65_536 {
            throw EngineError(.badRequest, "failReason is longer than 65536 bytes")
        }
        let task = try await store.finishTask(
            FinishParams(
                workerId: workerId, taskId: taskId, outcome: outcome, failReason: failReason, reEnqueue: reEnqueue,
                attempt: attempt, now: now))
        if reEnqueue { waitingWorkers.wake([task.workerId ?? task.queue]) }
        return task
    }

    /// Renews leases (all, or only `taskIds`) and answers every task the worker holds.
    public func heartbeat(workerId: String, taskIds: [String]?) async throws -> HeartbeatResponse {
        let now = self.now
        let held = try await store.heartbeat(
            HeartbeatParams(workerId: workerId, taskIds: taskIds, now: now, leaseExpiresAt: now + options.leaseTimeout))
        return HeartbeatResponse(workerId: workerId, tasks: held)
    }
}
