import CouchQueueModel
import CouchQueueStore
import Logging

extension QueueEngine {
    /// Hands the worker its next tasks, up to `limit`. With `wait`, an empty answer is held
    /// back until a task arrives for the worker or the wait runs out (capped by `maxLeaseWait`).
    /// A call whose connection has closed leases nothing: nobody would receive the task, which
    /// would stay started until its lease ran out. A wait whose client has gone (or closed
    /// its sending side) leases nothing more.
    public func lease(workerId: String, wait: Double? = nil, limit: Int = 1) async throws -> [QueueTask] {
        try validate(wait: wait)
        let clock = ContinuousClock()
        let waitSeconds = min(max(wait ?? 0, 0), options.maxLeaseWait)
        let deadline = clock.now.advanced(by: .milliseconds(Int64(waitSeconds * 1000)))
        var keys: [String]?
        // When this call's last lease recorded a sign of life; nil until it has leased.
        var seenAt: Double?
        // Whether the wait ended early: woken for a task, or by its client leaving.
        var woken = false
        while true {
            let ticket = waitSeconds > 0 ? waitingWorkers.ticket() : nil
            let tasks: [QueueTask]
            do {
                if let seenAt, !woken, try await !recheckLeases(workerId, seenAt: seenAt) {
                    tasks = []
                } else if clientLeft(hasWaited: keys != nil) {
                    if let keys { waitingWorkers.wakeOne(keys) }  // in case this wait was woken for a task
                    return []
                } else {
                    let leasedAt = now
                    tasks = try await store.leaseTasks(leaseParams(workerId, limit, now: leasedAt))
                    seenAt = leasedAt
                }
            } catch {
                if let keys { waitingWorkers.wakeOne(keys) }
                throw error
            }
            // Woken for one task, this worker may have taken another (of a queue it prefers)
            // or none: passing the wake-up on lets another waiter look for what is left.
            if let keys, !tasks.isEmpty { waitingWorkers.wakeOne(keys) }
            guard tasks.isEmpty, clock.now < deadline, !waitingWorkers.isClosed, let ticket else { return tasks }
            if keys == nil {
                keys = try await store.worker(id: workerId).map { [workerId] + $0.queues } ?? [workerId]
            }
            let renewIn = (seenAt ?? now) + parkedSignOfLifeInterval - now
            let lookIn = max(min(options.leaseRecheck, renewIn), 0)
            let wakeAt = min(deadline, clock.now.advanced(by: .milliseconds(Int64(lookIn * 1000))))
            await waitingWorkers.wait(for: keys!, until: wakeAt, unlessWokenSince: ticket)
            woken = clock.now < wakeAt
        }
    }

    /// Whether the call's client is gone, checked right before each lease: a task leased for
    /// nobody stays started until its lease runs out. Before its first lease a call gives up
    /// only if its connection has closed; once it has waited, also if its client closed its
    /// sending side.
    private func clientLeft(hasWaited: Bool) -> Bool {
        guard let client = ClientPresence.current else { return false }
        return hasWaited ? client.isGone : client.isDisconnected
    }

    /// Whether a parked call's periodic re-check (`leaseRecheck`, for a wake-up missed) should
    /// lease. A lease records a sign of life, a write: idle workers re-checking each second
    /// made an idle server write and sync many times a second. So the re-check first reads
    /// whether a task is due, and leases anyway once the sign of life it last recorded is
    /// `parkedSignOfLifeInterval` old, so that a worker parked in a long wait is never reaped.
    private func recheckLeases(_ workerId: String, seenAt: Double) async throws -> Bool {
        if now - seenAt >= parkedSignOfLifeInterval { return true }
        guard let due = try await store.hasDueTasks(workerId: workerId, now: now) else { throw StoreError.workerNotFound(workerId) }
        return due
    }

    /// How often a parked call renews its worker's sign of life (waking for it if the
    /// re-checks are further apart): a tenth of `workerTimeout`, and no more often than the
    /// stores rewrite it.
    private var parkedSignOfLifeInterval: Double { max(options.workerTimeout / 10, 0.1) }

    /// Records a run's outcome (`POST /task`). With `next`, the worker's next tasks are leased
    /// in the same transaction; when none is due and `next.wait` allows, the answer waits for one.
    /// A report whose connection has closed is recorded, and nothing leased.
    public func finish(workerId: String, _ report: TaskReport, thenLease next: NextLease? = nil) async throws -> FinishedTask {
        try validate(report)
        try validate(wait: next?.wait)
        let now = self.now
        let leaseNow = ClientPresence.current?.isDisconnected == true ? nil : next
        let finished = try await store.finishTask(
            finishParams(report, of: workerId, now: now), thenLease: leaseNow.map { leaseParams(workerId, $0.limit, now: now) })
        wakeWorkers(after: finished.task)
        guard let next, finished.next.isEmpty, (next.wait ?? 0) > 0 else { return finished }
        return FinishedTask(task: finished.task, next: await leaseAfterReport(workerId: workerId, next))
    }

    /// Records several outcomes at once (`POST /tasks`), each on its own: one refused (not
    /// leased, unknown task) leaves the others recorded, all in one transaction. Bad
    /// input refuses the whole call before anything is recorded; an unknown worker refuses it
    /// too, and a store failure fails it (the worker reports again; what was recorded answers
    /// `notLeased` then). With `next`, the worker's next tasks are leased after the reports.
    public func finish(
        workerId: String, reports: [TaskReport], thenLease next: NextLease? = nil
    ) async throws -> (results: [Result<QueueTask, StoreError>], next: [QueueTask]) {
        for report in reports { try validate(report) }
        try validate(wait: next?.wait)
        let now = self.now
        let results = try await store.finishTasks(reports.map { finishParams($0, of: workerId, now: now) })
        for case .failure(let refusal) in results where refusal.code == .workerNotFound { throw refusal }
        for case .success(let task) in results { wakeWorkers(after: task) }
        guard let next else { return (results, []) }
        return (results, await leaseAfterReport(workerId: workerId, next))
    }

    /// After a report: a re-enqueued task waits again, and a finished `singularlyRun` one lets
    /// a twin held back behind it go. One worker waiting may take it; but the twins of a scope
    /// `all` copy are other workers' copies, which only their owners can take: every worker
    /// waiting on the queue is woken.
    private func wakeWorkers(after reported: QueueTask) {
        guard let key = StoreRules.keyFreed(by: reported) else { return }
        if reported.state != .queued, reported.scope == .all {
            waitingWorkers.wake([key])
        } else {
            waitingWorkers.wakeOne([key])
        }
    }

    /// The reports are recorded: a lease that fails after them (the worker deleted meanwhile,
    /// the store unreachable) answers no next task rather than an error, which would make the
    /// worker report again and be told the task is no longer leased.
    private func leaseAfterReport(workerId: String, _ next: NextLease) async -> [QueueTask] {
        do {
            return try await lease(workerId: workerId, wait: next.wait, limit: next.limit)
        } catch {
            logger.warning("leasing after a report failed; answering no next task", metadata: [
                "couchqueue.worker.id": "\(workerId)", "error": "\(error)",
            ])
            return []
        }
    }

    private func validate(_ report: TaskReport) throws(EngineError) {
        if let failReason = report.failReason, failReason.utf8.count > 65_536 {
            throw EngineError(.badRequest, "failReason is longer than 65536 bytes")
        }
        if let attempt = report.attempt, attempt < 1 {
            throw EngineError(.badRequest, "attempt must be 1 or more: the task's attempts as this worker received it")
        }
    }

    /// A wait over `maxLeaseWait` is cut to it; one below zero is a mistake.
    private func validate(wait: Double?) throws(EngineError) {
        if let wait, wait < 0 { throw EngineError(.badRequest, "wait must be 0 or more seconds") }
    }

    private func finishParams(_ report: TaskReport, of workerId: String, now: Double) -> FinishParams {
        FinishParams(
            workerId: workerId, taskId: report.taskId, outcome: report.outcome, failReason: report.failReason,
            reEnqueue: report.reEnqueue, attempt: report.attempt, now: now)
    }

    private func leaseParams(_ workerId: String, _ limit: Int, now: Double) -> LeaseParams {
        LeaseParams(workerId: workerId, now: now, leaseExpiresAt: now + options.leaseTimeout, limit: limit)
    }

    /// Renews leases (all, or only `taskIds`) and answers every task the worker holds.
    public func heartbeat(workerId: String, taskIds: [String]?) async throws -> HeartbeatResponse {
        let now = self.now
        let held = try await store.heartbeat(
            HeartbeatParams(workerId: workerId, taskIds: taskIds, now: now, leaseExpiresAt: now + options.leaseTimeout))
        return HeartbeatResponse(workerId: workerId, tasks: held)
    }
}
