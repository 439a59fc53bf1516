import CouchQueueModel
import CouchQueueStore
import GRDB

extension SQLiteStore {
    public func finishTask(_ params: FinishParams, thenLease next: LeaseParams?) async throws -> FinishedTask {
        // A report alone needs no savepoint: its sign of life comes first and stands whatever
        // the report's outcome, and the report itself is one `UPDATE` (a refusal then only
        // reads why). With `next`, the lease records the sign of life.
        try await writer.write(next == nil ? .singleStatement : .savepoint, durability: .logged) { [twins, leaseExpiryBound] db in
            if next == nil { try Self.noteSeen(db, workerId: params.workerId, now: params.now) }
            let task = try Self.finish(db, twins, params)
            return FinishedTask(task: task, next: try next.map { try Self.lease(db, twins, leaseExpiryBound, $0) } ?? [])
        }
    }

    /// One write, so that the reports share one savepoint and one commit. A refused report
    /// needs no savepoint of its own: its only write is an `UPDATE` that matched nothing.
    public func finishTasks(_ reports: [FinishParams]) async throws -> [Result<QueueTask, StoreError>] {
        try await writer.write(.savepoint, durability: .logged) { [twins] db in
            for report in reports { try Self.noteSeen(db, workerId: report.workerId, now: report.now) }
            return try reports.map { report in
                do { return .success(try Self.finish(db, twins, report)) } catch let refusal as StoreError { return .failure(refusal) }
            }
        }
    }

    /// One statement when the worker holds the task, as it almost always does; a refusal then
    /// looks up why, naming an unknown worker first. A finished task stops being a twin.
    /// `reEnqueue` applies only while the task's queue exists.
    private static func finish(_ db: Database, _ twins: TwinRegistry, _ params: FinishParams) throws -> QueueTask {
        var params = params
        if params.reEnqueue, try !queueExists(db, ofTask: params.taskId) { params.reEnqueue = false }
        let finished = try ColumnCursor.first(
            db.cachedStatement(sql: """
                UPDATE tasks SET state = ?1, lease_expires_at = NULL,
                    worker_id = CASE WHEN ?2 THEN NULL ELSE worker_id END,
                    run_at = CASE WHEN ?2 THEN ?3 ELSE run_at END,
                    finished_at = CASE WHEN ?2 THEN finished_at ELSE ?3 END,
                    fail_reason = CASE WHEN ?4 THEN fail_reason ELSE ?5 END
                WHERE id = ?6 AND state = 'started' AND worker_id = ?7 AND (?8 IS NULL OR attempts = ?8)
                RETURNING \(TaskRow.columns), seq, data_key
                """),
            arguments: [
                params.newState.rawValue, params.reEnqueue, params.now, params.keepsFailReason, params.newFailReason,
                params.taskId, params.workerId,
                params.attempt,
            ]
        ) { row in
            let task = TaskRow.decode(row, now: params.now)
            if !params.reEnqueue { twins.remove(seq: row[TaskRow.columnCount], queue: task.queue, dataKey: row[TaskRow.columnCount + 1]) }
            return task
        }
        if let finished { return finished }
        try requireWorker(db, id: params.workerId)
        guard
            let held = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT state, worker_id, attempts FROM tasks WHERE id = ?"), arguments: [params.taskId])
        else { throw StoreError.taskNotFound(params.taskId) }
        try StoreRules.checkFinish(params, state: held[0], holder: held[1], attempts: held[2])
        throw StoreError.notLeased(params.taskId)
    }

    /// A report is a sign of life: a worker reaped as soon as it has finished its only task
    /// could not take the next. Rewritten at most every `lastSeenResolution`, as by a lease.
    private static func noteSeen(_ db: Database, workerId: String, now: Double) throws {
        try db.cachedStatement(sql: "UPDATE workers SET last_seen_at = ?1 WHERE id = ?2 AND last_seen_at <= ?1 - ?3")
            .execute(arguments: [now, workerId, lastSeenResolution])
    }

    private static func queueExists(_ db: Database, ofTask id: String) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM tasks JOIN queues ON queues.name = tasks.queue WHERE tasks.id = ? AND NOT tasks.queue_deleted)"),
            arguments: [id]) == true
    }
}
