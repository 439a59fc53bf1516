import CouchQueueModel
import CouchQueueStore
import PostgresNIO

extension PostgresStore {
    public func leaseTasks(_ params: LeaseParams) async throws -> [QueueTask] {
        try await transaction { connection in try await lease(connection, params) }
    }

    func lease(_ connection: PostgresConnection, _ params: LeaseParams) async throws -> [QueueTask] {
        let queues = try await touchWorker(connection, id: params.workerId, now: params.now)
        let sources: [(column: String, key: String)] = [("owner_id", params.workerId)] + queues.map { ("queue", $0) }
        var leased: [QueueTask] = []
        for source in sources {
            while leased.count < params.limit, let seq = try await firstLeasable(connection, source, now: params.now) {
                let rows = try await connection.query("""
                    UPDATE tasks SET state = 'started', worker_id = \(params.workerId), attempts = attempts + 1,
                        started_at = \(params.now), lease_expires_at = \(params.leaseExpiresAt)
                    WHERE seq = \(seq) RETURNING \(unescaped: PostgresTaskRow.columns)
                    """, logger: logger).collect()
                leased += try rows.map { try PostgresTaskRow.decode($0, now: params.now) }
            }
        }
        return leased
    }

    /// Records a sign of life and answers the worker's queues, or throws `workerNotFound`.
    func touchWorker(_ connection: PostgresConnection, id: String, now: Double) async throws -> [String] {
        let rows = try await connection.query(
            "UPDATE workers SET last_seen_at = \(now) WHERE id = \(id) RETURNING queues", logger: logger)
        for try await queues in rows.decode(String.self) { return try StoredText.queueList(from: queues) }
        throw StoreError.workerNotFound(id)
    }

    /// The oldest due task of the source that no other server holds locked and no started
    /// twin holds back. One row is locked at a time, so concurrent leases skip only the rows
    /// really taken. `singularlyRun` candidates also take a transaction-scoped advisory lock
    /// on their data, so two servers never start twins at once.
    private func firstLeasable(_ connection: PostgresConnection, _ source: (column: String, key: String), now: Double) async throws -> Int64? {
        let ownerCondition = source.column == "owner_id" ? "owner_id IS NOT NULL" : "owner_id IS NULL"
        var heldBack = 0
        while true {
            let rows = try await connection.query("""
                SELECT seq, queue, singularly_run, data_key, data FROM tasks
                WHERE \(unescaped: source.column) = \(source.key) AND state = 'queued' AND \(unescaped: ownerCondition)
                    AND run_at <= \(now)
                ORDER BY run_at, seq LIMIT 1 OFFSET \(heldBack) FOR UPDATE SKIP LOCKED
                """, logger: logger).collect()
            guard let row = rows.first else { return nil }
            let (seq, queue, singular, dataKey, data) = try row.decode((Int64, String, Bool, Int64, String).self)
            if !singular { return seq }
            if try await claimTwinSlot(connection, queue: queue, dataKey: dataKey, data: data) { return seq }
            heldBack += 1
        }
    }

    private func claimTwinSlot(_ connection: PostgresConnection, queue: String, dataKey: Int64, data: String) async throws -> Bool {
        let locked = try await connection.query("SELECT pg_try_advisory_xact_lock(\(dataKey))", logger: logger)
        for try await free in locked.decode(Bool.self) where !free { return false }
        let started = try await connection.query("""
            SELECT EXISTS (SELECT 1 FROM tasks WHERE queue = \(queue) AND data_key = \(dataKey)
                AND state IN ('queued', 'started') AND state = 'started' AND data = \(data))
            """, logger: logger)
        for try await exists in started.decode(Bool.self) { return !exists }
        return true
    }
}
