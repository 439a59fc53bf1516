import CouchQueueModel
import CouchQueueStore
import GRDB

extension SQLiteStore {
    public func finishTask(_ params: FinishParams, thenLease next: LeaseParams?) async throws -> FinishedTask {
        // A report alone needs no savepoint: its sign of life comes first and stands whatever
        // the report's outcome, and the report itself is one `UPDATE` (a refusal then only
        // reads why). With `next`, the lease records the sign of life; its worker is checked
        // first, so that nothing refuses the lease once the report is written.
        let need: Savepoint.Need = next == nil ? .singleStatement : .refusalsBeforeWrites
        return try await writer.write(need, durability: .logged) { [self] db in
            if let next { _ = try knownWorker(db, id: next.workerId) } else { try Self.noteSeen(db, workerId: params.workerId, now: params.now) }
            let task = try finish(db, params)
            return FinishedTask(task: task, next: try next.map { try lease(db, $0) } ?? [])
        }
    }

    /// One write, so that the reports share one commit. A refused report writes nothing and
    /// is answered as such: nothing refuses the write as a whole.
    public func finishTasks(_ reports: [FinishParams]) async throws -> [Result<QueueTask, StoreError>] {
        try await writer.write(.refusalsBeforeWrites, durability: .logged) { [self] db in
            for report in reports { try Self.noteSeen(db, workerId: report.workerId, now: report.now) }
            return try reports.map { report in
                do { return .success(try finish(db, report)) } catch let refusal as StoreError { return .failure(refusal) }
            }
        }
    }

    /// Reads the task, then rewrites its row by `seq` if the worker holds it; a refusal names
    /// an unknown worker first. The answer and the row's new values both come from `reported`.
    /// Not `UPDATE … RETURNING`: SQLite gathers the returned rows in a temporary table, about
    /// 45 allocations per statement; a C loop of a drain's statements took 20 µs per task with
    /// it, 15 without. A finished task stops being a twin. `reEnqueue` applies only while the
    /// task's queue exists.
    func finish(_ db: Database, _ params: FinishParams) throws -> QueueTask {
        var params = params
        if params.reEnqueue, try !Self.queueExists(db, ofTask: params.taskId) { params.reEnqueue = false }
        let lookup = Self.heldTask.finding(params.taskId)
        let held = try ColumnCursor.first(db.cachedStatement(sql: lookup.sql), arguments: lookup.seq, params.taskId) { row in
            (task: TaskRow.decode(row, now: params.now), owner: TaskRow.owner(row), keys: TaskRow.keys(row))
        }
        guard let held else {
            _ = try knownWorker(db, id: params.workerId)
            throw StoreError.taskNotFound(params.taskId)
        }
        do {
            try StoreRules.checkFinish(params, state: held.task.state.rawValue, holder: held.task.workerId, attempts: held.task.attempts)
        } catch {
            _ = try knownWorker(db, id: params.workerId)
            throw error
        }
        let task = Self.reported(held.task, owner: held.owner, params)
        try db.cachedStatement(sql: """
            UPDATE tasks SET state = ?, lease_expires_at = NULL, worker_id = ?, run_at = ?, finished_at = ?, fail_reason = ?
            WHERE seq = ?
            """
        ).run(
            params.newState.rawValue, params.reEnqueue ? nil : params.workerId, task.runAt, task.finishedAt, task.failReason,
            held.keys.seq)
        if !params.reEnqueue { twins.remove(seq: held.keys.seq, queue: task.queue, dataKey: held.keys.dataKey) }
        return task
    }

    private static let heldTask = TaskKey.Lookup { "\(TaskRow.selectWithKeys) WHERE \($0)" }

    /// The task as the report leaves it: re-enqueued, it waits again from now for its owner (a
    /// copy of scope `all`) or anyone; otherwise it is finished now. A success keeps the reason
    /// of an earlier failed run (`FinishParams.keepsFailReason`).
    private static func reported(_ task: QueueTask, owner: String?, _ params: FinishParams) -> QueueTask {
        var task = task
        task.state = params.newState
        if params.reEnqueue {
            (task.workerId, task.runAt) = (owner, params.now)
        } else {
            task.finishedAt = params.now
        }
        if !params.keepsFailReason { task.failReason = params.newFailReason }
        return task
    }

    /// A report is a sign of life: a worker reaped as soon as it has finished its only task
    /// could not take the next. Rewritten at most every `lastSeenResolution`, as by a lease.
    private static func noteSeen(_ db: Database, workerId: String, now: Double) throws {
        try db.cachedStatement(sql: "UPDATE workers SET last_seen_at = ?1 WHERE id = ?2 AND last_seen_at <= ?1 - ?3")
            .run(now, workerId, lastSeenResolution)
    }

    private static func queueExists(_ db: Database, ofTask id: String) throws -> Bool {
        let lookup = queueOfTask.finding(id)
        return try ColumnCursor.first(db.cachedStatement(sql: lookup.sql), arguments: lookup.seq, id) { _ in true } ?? false
    }

    private static let queueOfTask = TaskKey.Lookup {
        "SELECT 1 FROM tasks JOIN queues ON queues.name = tasks.queue WHERE \($0) AND NOT tasks.queue_deleted"
    }
}
