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

    private func finish(_ connection: PostgresConnection, _ params: FinishParams) async throws -> QueueTask {
        let held = try await connection.query(
            "SELECT seq, state, worker_id, attempts FROM tasks WHERE id = \(params.taskId) FOR UPDATE", logger: logger
        ).collect()
        let row = try held.first?.decode((Int64, String, String?, Int).self)
        // A task started by this worker proves the worker exists (deleting a worker returns
        // its started tasks), so only the refusals look the worker up, to name it first.
        if row?.1 != TaskState.started.rawValue || row?.2 != params.workerId {
            try await requireWorker(connection, id: params.workerId)
        }
        guard let (seq, state, holder, attempts) = row else { throw StoreError.taskNotFound(params.taskId) }
        try StoreRules.checkFinish(params, state: state, holder: holder, attempts: attempts)
        let query: PostgresQuery
        switch (params.reEnqueue, params.outcome) {
        case (true, _):
            let reason = params.outcome == .fail ? params.failReason : nil
            query = """
                UPDATE tasks SET state = 'queued', worker_id = NULL, lease_expires_at = NULL, run_at = \(params.now),
                    fail_reason = \(reason) WHERE seq = \(seq) RETURNING \(unescaped: PostgresTaskRow.columns)
                """
        case (false, .success):
            query = """
                UPDATE tasks SET state = 'succeeded', lease_expires_at = NULL, finished_at = \(params.now)
                WHERE seq = \(seq) RETURNING \(unescaped: PostgresTaskRow.columns)
                """
        case (false, .fail):
            query = """
                UPDATE tasks SET state = 'failed', lease_expires_at = NULL, finished_at = \(params.now),
                    fail_reason = \(params.failReason) WHERE seq = \(seq) RETURNING \(unescaped: PostgresTaskRow.columns)
                """
        }
        let rows = try await connection.query(query, logger: logger).collect()
        return try PostgresTaskRow.decode(rows[0], now: params.now)
    }

    func requireWorker(_ connection: PostgresConnection, id: String) async throws {
        let rows = try await connection.query("SELECT EXISTS (SELECT 1 FROM workers WHERE id = \(id))", logger: logger)
        for try await exists in rows.decode(Bool.self) where exists { return }
        throw StoreError.workerNotFound(id)
    }
}
