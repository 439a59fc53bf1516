import CouchQueueModel
import CouchQueueStore
import PostgresNIO

extension PostgresStore {
    /// One statement, outside any transaction of the caller's: `couchqueue_report_then_lease`;
    /// a report that re-enqueues first checks, in the same transaction, that the queue exists.
    /// That transaction commits a refused report's sign of life too, as a plain one does.
    public func finishTask(_ params: FinishParams, thenLease next: LeaseParams?) async throws -> FinishedTask {
        let finished =
            params.reEnqueue
            ? try await transaction { [self] connection -> Result<FinishedTask, StoreError> in
                do {
                    return .success(try await finish(connection, try await reEnqueueChecked([params], connection)[0], thenLease: next))
                } catch let refusal as StoreError { return .failure(refusal) }
            }.get()
            : try await withConnection { [self] connection in try await finish(connection, params, thenLease: next) }
        if let key = StoreRules.keyFreed(by: finished.task) { announce(.tasksAvailable([key])) }
        return finished
    }

    /// `reEnqueue` holds only for tasks whose queue exists (`DELETE /queue` leaves its started
    /// tasks to finish, never to go back). The queue rows stay locked until commit: a deletion
    /// under way waits, and then deletes the tasks put back as waiting ones.
    private func reEnqueueChecked(_ reports: [FinishParams], _ connection: PostgresConnection) async throws -> [FinishParams] {
        let asked = reports.filter(\.reEnqueue).map(\.taskId)
        guard !asked.isEmpty else { return reports }
        var queueExists = Set<String>()
        let rows = try await connection.query(
            "SELECT t.id FROM tasks t JOIN queues q ON q.name = t.queue WHERE t.id = ANY(\(asked)) AND NOT t.queue_deleted FOR KEY SHARE OF q",
            logger: logger)
        for try await id in rows.decode(String.self) { queueExists.insert(id) }
        return reports.map { report in
            var checked = report
            checked.reEnqueue = report.reEnqueue && queueExists.contains(report.taskId)
            return checked
        }
    }

    /// One transaction for the whole batch, and one statement for the first report on each
    /// task: round trips, not PostgreSQL, bound a batch on a busy machine. The reports that
    /// statement did not record (refused, or a task's repeats) then go one by one, to learn why.
    /// A refused report rolls nothing back: it is not an SQL error, and it changed no row.
    public func finishTasks(_ reports: [FinishParams]) async throws -> [Result<QueueTask, StoreError>] {
        let results = try await transaction { [self] connection in
            let reports = try await reEnqueueChecked(reports, connection)
            let workers = Set(reports.map(\.workerId)).sorted()
            try await connection.run(
                #"SELECT 1 FROM workers WHERE id = ANY(\#(workers)) ORDER BY id COLLATE "C" FOR KEY SHARE"#, logger: logger)
            var firsts = Set<String>()
            let firstReports = reports.filter { firsts.insert($0.taskId).inserted }
            let recorded = try await finishAtOnce(connection, firstReports.sorted { $0.taskId < $1.taskId })
            var results: [Result<QueueTask, StoreError>] = []
            var answered = Set<String>()
            for report in reports {
                if answered.insert(report.taskId).inserted, let task = recorded[report.taskId] {
                    results.append(.success(task))
                    continue
                }
                do { results.append(.success(try await finish(connection, report, by: Self.recordOnly).task)) } catch let refusal as StoreError { results.append(.failure(refusal)) }
            }
            try await noteSeen(connection, workers: workers, now: reports.map(\.now).max() ?? 0)
            return results
        }
        let freed = results.compactMap { try? $0.get() }.compactMap(StoreRules.keyFreed)
        if !freed.isEmpty { announce(.tasksAvailable(freed)) }
        return results
    }

    /// Records every report whose worker holds its task (task ids must differ), through
    /// `couchqueue_finish_then_lease` once per report in their order, which must be by task id
    /// (`inLockOrder`), answering the recorded tasks by id.
    /// Arrays carry one report per position; -1 stands for no attempt.
    private func finishAtOnce(_ connection: PostgresConnection, _ reports: [FinishParams]) async throws -> [String: QueueTask] {
        guard !reports.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT \(unescaped: PostgresTaskRow.columns), r.r_now
            FROM unnest(
                \(reports.map(\.taskId))::text[], \(reports.map(\.workerId))::text[], \(reports.map { Int64($0.attempt ?? -1) })::int8[],
                \(reports.map(\.newState.rawValue))::text[], \(reports.map(\.reEnqueue))::bool[], \(reports.map(\.keepsFailReason))::bool[],
                \(reports.map { $0.newFailReason != nil })::bool[], \(reports.map { $0.newFailReason ?? "" })::text[],
                \(reports.map(\.now))::float8[]
            ) AS r(r_task, r_worker, r_attempt, r_state, r_re_enqueue, r_keeps_reason, r_has_reason, r_reason, r_now),
            LATERAL \(unescaped: Self.recordOnly)(
                r.r_task, r.r_worker, NULLIF(r.r_attempt, -1), r.r_state, r.r_re_enqueue, r.r_keeps_reason,
                CASE WHEN r.r_has_reason THEN r.r_reason END, r.r_now, r.r_now, 0)
            """, logger: logger)
        var recorded: [String: QueueTask] = [:]
        for try await row in rows {
            let task = try PostgresTaskRow.decode(row, now: row.makeRandomAccess()[PostgresTaskRow.columnCount].decode(Double.self))
            recorded[task.id] = task
        }
        return recorded
    }

    /// What records a report and leases after it (migrations 4 and 6).
    private static let reportThenLease = "couchqueue_report_then_lease"

    /// What records a report (and leases), taking no worker row: for a batch, which takes
    /// the worker's row itself, before its tasks and again after them (`noteSeen`).
    private static let recordOnly = "couchqueue_record_then_lease"

    /// The batch's sign of life, once its tasks are held, as a heartbeat writes it after its
    /// tasks: rewriting it between two reports' tasks could wait for a heartbeat that waits for
    /// the second task.
    private func noteSeen(_ connection: PostgresConnection, workers: [String], now: Double) async throws {
        try await connection.run(
            "UPDATE workers SET last_seen_at = \(now) WHERE id = ANY(\(workers)) AND last_seen_at <= \(now) - 0.1", logger: logger)
    }

    /// One statement when the worker holds the task, as it almost always does; a refusal then
    /// looks up why, naming an unknown worker first. `couchqueue_report_then_lease` takes the
    /// worker's row before the task's (migration 4), as `DELETE /worker` takes them, and
    /// records a plain report's sign of life after it (migration 6).
    private func finish(
        _ connection: PostgresConnection, _ params: FinishParams, thenLease next: LeaseParams? = nil,
        by function: String = reportThenLease
    ) async throws -> FinishedTask {
        let rows = try await leasing(for: params.workerId) {
            try await connection.query("""
                SELECT \(unescaped: PostgresTaskRow.columns) FROM \(unescaped: function)(
                    \(params.taskId), \(params.workerId), \(params.attempt.map(Int64.init))::int8, \(params.newState.rawValue),
                    \(params.reEnqueue), \(params.keepsFailReason), \(params.newFailReason), \(params.now),
                    \(next?.leaseExpiresAt ?? params.now), \(Int64(next?.limit ?? 0)))
                """, logger: logger).collect()
        }
        if let row = rows.first {
            let leasedNow = next?.now ?? params.now
            return FinishedTask(
                task: try PostgresTaskRow.decode(row, now: params.now),
                next: try rows.dropFirst().map { try PostgresTaskRow.decode($0, now: leasedNow) })
        }
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
