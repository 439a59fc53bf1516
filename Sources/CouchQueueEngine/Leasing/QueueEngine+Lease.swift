import CouchQueueModel
import CouchQueueStore

extension QueueEngine {
    /// Hands the worker its next tasks, up to `limit`. With `wait`, an empty answer is held
    /// back until a task arrives for the worker or the wait runs out (capped by `maxLeaseWait`).
    public func lease(workerId: String, wait: Double? = nil, limit: Int = 1) async throws -> [QueueTask] {
        let clock = ContinuousClock()
        let waitSeconds = min(max(wait ?? 0, 0), options.maxLeaseWait)
        let deadline = clock.now.advanced(by: .milliseconds(Int64(waitSeconds * 1000)))
        var keys: [String]?
        while true {
            let now = self.now
            let tasks = try await store.leaseTasks(
                LeaseParams(workerId: workerId, now: now, leaseExpiresAt: now + options.leaseTimeout, limit: limit))
            guard tasks.isEmpty, clock.now < deadline, !waitingWorkers.isClosed else { return tasks }
            if keys == nil {
                keys = try await store.worker(id: workerId).map { [workerId] + $0.queues } ?? [workerId]
            }
            // Wake-ups can be missed (a lost notification; tasks scheduled before a restart):
            // look again at least every second.
            await waitingWorkers.wait(for: keys!, until: min(deadline, clock.now.advanced(by: .seconds(1))))
        }
    }

    /// Records a run's outcome (`POST /task`).
    public func finish(workerId: String, _ report: TaskReport) async throws -> QueueTask {
        try validate(report)
        return try await store(report, of: workerId)
    }

    /// Records several outcomes at once (`POST /tasks`), each on its own: one refused (not
    /// leased, unknown task) leaves the others recorded. On SQLite they share one commit. Bad
    /// input refuses the whole call before anything is recorded; an unknown worker refuses it
    /// too, and a store failure fails it (the worker reports again; what was recorded answers
    /// `notLeased` then).
    public func finish(workerId: String, reports: [TaskReport]) async throws -> [Result<QueueTask, any Error>] {
        for report in reports { try validate(report) }
        let results = await withTaskGroup(of: (Int, Result<QueueTask, any Error>).self) { group in
            for (position, report) in reports.enumerated() {
                group.addTask {
                    do { return (position, .success(try await self.store(report, of: workerId))) } catch { return (position, .failure(error)) }
                }
            }
            var results: [(position: Int, result: Result<QueueTask, any Error>)] = []
            for await entry in group { results.append(entry) }
            return results.sorted { $0.position < $1.position }.map(\.result)
        }
        for case .failure(let error) in results {
            guard let refusal = error as? StoreError, refusal.code != .workerNotFound else { throw error }
        }
        return results
    }

    private func validate(_ report: TaskReport) throws(EngineError) {
        if let failReason = report.failReason, failReason.utf8.count > 65_536 {
            throw EngineError(.badRequest, "failReason is longer than 65536 bytes")
        }
    }

    private func store(_ report: TaskReport, of workerId: String) async throws -> QueueTask {
        let task = try await store.finishTask(
            FinishParams(
                workerId: workerId, taskId: report.taskId, outcome: report.outcome, failReason: report.failReason,
                reEnqueue: report.reEnqueue, attempt: report.attempt, now: now))
        if report.reEnqueue { waitingWorkers.wake([task.workerId ?? task.queue]) }
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
