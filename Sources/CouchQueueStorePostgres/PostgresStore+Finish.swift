import CouchQueueModel
import CouchQueueStore
import PostgresNIO

extension PostgresStore {
    public func finishTask(_ params: FinishParams, thenLease next: LeaseParams?) async throws -> FinishedTask {
        let finished = try await transaction { connection in
            let task = try await finish(connection, params)
            guard let next else { return FinishedTask(task: task, next: []) }
            return FinishedTask(task: task, next: try await lease(connection, next))
        }
        if params.reEnqueue { announce(.tasksAvailable([finished.task.workerId ?? finished.task.queue])) }
        return finished
    }

    /// One transaction for the whole batch. A refused report rolls nothing back: its only
    /// write is an `UPDATE` that matched nothing, and a refusal is not an SQL error.
    public func finishTasks(_ reports: [FinishParams]) async throws -> [Result<QueueTask, StoreError>] {
        let results = try await transaction { connection in
            var results: [Result<QueueTask, StoreError>] = []
            for report in reports {
                do { results.append(.success(try await finish(connection, report))) } catch let refusal as StoreError { results.append(.failure(refusal)) }
            }
            return results
        }
        let reEnqueued = zip(reports, results).compactMap { report, result in report.reEnqueue ? try? result.get() : nil }
        if !reEnqueued.isEmpty { announce(.tasksAvailable(reEnqueued.map { $0.workerId ?? $0.queue })) }
        return results
    }

    /// One statement when the worker holds the task, as it almost always does; a refusal then
    /// looks up why, naming an unknown worker first.
    private func finish(_ connection: PostgresConnection, _ params: FinishParams) async throws -> QueueTask {
        let state: TaskState = params.reEnqueue ? .queued : params.outcome == .success ? .succeeded : .failed
        // A success keeps the reason of an earlier failed run; a re-enqueued success clears it.
        let keepsReason = !params.reEnqueue && params.outcome == .success
        let reason = params.outcome == .fail ? params.failReason : nil
        let rows = try await connection.query("""
            UPDATE tasks SET state = \(state.rawValue), lease_expires_at = NULL,
                worker_id = CASE WHEN \(params.reEnqueue) THEN NULL ELSE worker_id END,
                run_at = CASE WHEN \(params.reEnqueue) THEN \(params.now) ELSE run_at END,
                finished_at = CASE WHEN \(params.reEnqueue) THEN finished_at ELSE \(params.now) END,
                fail_reason = CASE WHEN \(keepsReason) THEN fail_reason ELSE \(reason) END
            WHERE id = \(params.taskId) AND state = 'started' AND worker_id = \(params.workerId)
                AND (\(params.attempt)::int8 IS NULL OR attempts = \(params.attempt))
            RETURNING \(unescaped: PostgresTaskRow.columns)
            """, logger: logger).collect()
        if let row = rows.first { return try PostgresTaskRow.decode(row, now: params.now) }
        try await requireWorker(connection, id: params.workerId)
        let held = try await connection.query(
            "SELECT state, worker_id, attempts FROM tasks WHERE id = \(params.taskId)", logger: logger
        ).collect()
        guard let (current, holder, attempts) = try held.first?.decode((String, String?, Int).self) else {
            throw StoreError.taskNotFound(params.taskId)
        }
        try StoreRules.checkFinish(params, state: current, holder: holder, attempts: attempts)
        throw StoreError.notLeased(params.taskId)  // it changed hands between the two statements
    }

    func requireWorker(_ connection: PostgresConnection, id: String) async throws {
        let rows = try await connection.query("SELECT EXISTS (SELECT 1 FROM workers WHERE id = \(id))", logger: logger)
        for try await exists in rows.decode(Bool.self) where exists { return }
        throw StoreError.workerNotFound(id)
    }
}
