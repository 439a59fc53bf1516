import CouchQueueModel
import CouchQueueStore
import PostgresNIO

extension PostgresStore {
    /// One statement, atomic on its own: no explicit transaction, no extra round trips.
    public func leaseTasks(_ params: LeaseParams) async throws -> [QueueTask] {
        try await withConnection { [self] connection in try await lease(connection, params) }
    }

    /// One read of the sources `couchqueue_lease` reads (migration 7), without its locks: a
    /// row lock assigns a transaction id, whose commit then waits for a WAL flush. Each queue
    /// is probed on its own (`LATERAL … LIMIT 1`, which the planner cannot turn into a join):
    /// as a join, it chose to scan every waiting task of every queue when the table was small,
    /// or the whole table when written with `= ANY`.
    public func hasDueTasks(workerId: String, now: Double) async throws -> Bool? {
        let rows = try await query("""
            SELECT EXISTS (
                    SELECT 1 FROM tasks
                    WHERE owner_id = w.id AND state = 'queued' AND owner_id IS NOT NULL AND run_at <= \(now))
                OR EXISTS (
                    SELECT 1 FROM json_array_elements_text(w.queues::json) AS source(queue), LATERAL (
                        SELECT 1 FROM tasks t
                        WHERE t.queue = source.queue AND t.state = 'queued' AND t.owner_id IS NULL AND t.run_at <= \(now)
                        ORDER BY t.run_at LIMIT 1) AS due)
            FROM workers w WHERE w.id = \(workerId)
            """)
        for due in try rows.decode(Bool.self) { return due }
        return nil
    }

    /// Runs `couchqueue_lease` (migration 2), in the caller's transaction if there is one.
    func lease(_ connection: PostgresConnection, _ params: LeaseParams) async throws -> [QueueTask] {
        let rows = try await leasing(for: params.workerId) {
            try await connection.query("""
                SELECT \(unescaped: PostgresTaskRow.columns)
                FROM couchqueue_lease(\(params.workerId), \(params.now), \(params.leaseExpiresAt), \(params.limit))
                """, logger: logger).collect()
        }
        return try rows.map { try PostgresTaskRow.decode($0, now: params.now) }
    }

    /// Runs a statement that calls `couchqueue_lease`, whose unknown worker (SQLSTATE `CQ404`)
    /// becomes `workerNotFound`.
    func leasing<T>(for workerId: String, _ statement: () async throws -> T) async throws -> T {
        do {
            return try await statement()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "CQ404" {
            throw StoreError.workerNotFound(workerId)
        }
    }
}
