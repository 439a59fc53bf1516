import CouchQueueModel
import CouchQueueStore
import GRDB

extension SQLiteStore {
    public func finishTask(_ params: FinishParams, thenLease next: LeaseParams?) async throws -> FinishedTask {
        try await writer.write { db in
            let task = try Self.finish(db, params)
            return FinishedTask(task: task, next: try next.map { try Self.lease(db, $0) } ?? [])
        }
    }

    private static func finish(_ db: Database, _ params: FinishParams) throws -> QueueTask {
        let held = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT seq, state, worker_id, attempts FROM tasks WHERE id = ?"),
            arguments: [params.taskId])
        // A task started by this worker proves the worker exists (deleting a worker returns
        // its started tasks), so only the refusals look the worker up, to name it first.
        if held?["state"] != TaskState.started.rawValue || held?["worker_id"] != params.workerId {
            try requireWorker(db, id: params.workerId)
        }
        guard let held else { throw StoreError.taskNotFound(params.taskId) }
        try StoreRules.checkFinish(params, state: held["state"], holder: held["worker_id"], attempts: held["attempts"])
        let sql: String
        let arguments: StatementArguments
        switch (params.reEnqueue, params.outcome) {
        case (true, _):
            sql = """
                UPDATE tasks SET state = 'queued', worker_id = NULL, lease_expires_at = NULL, run_at = ?,
                    fail_reason = ? WHERE seq = ? RETURNING \(TaskRow.columns)
                """
            arguments = [params.now, params.outcome == .fail ? params.failReason : nil, held["seq"]]
        case (false, .success):
            sql = """
                UPDATE tasks SET state = 'succeeded', lease_expires_at = NULL, finished_at = ?
                WHERE seq = ? RETURNING \(TaskRow.columns)
                """
            arguments = [params.now, held["seq"]]
        case (false, .fail):
            sql = """
                UPDATE tasks SET state = 'failed', lease_expires_at = NULL, finished_at = ?, fail_reason = ?
                WHERE seq = ? RETURNING \(TaskRow.columns)
                """
            arguments = [params.now, params.failReason, held["seq"]]
        }
        let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)!
        return try TaskRow.decode(row, now: params.now)
    }
}
