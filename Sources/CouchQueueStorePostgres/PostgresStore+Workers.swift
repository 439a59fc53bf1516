import CouchQueueModel
import CouchQueueStore
import PostgresNIO

extension PostgresStore {
    public func registerWorker(_ params: RegisterWorkerParams) async throws {
        let queues = StoredText.queueList(params.queues)
        try await transaction { [self] connection in
            try await connection.query("""
                INSERT INTO workers (id, queues, registered_at, last_seen_at)
                VALUES (\(params.workerId), \(queues), \(params.now), \(params.now))
                """, logger: logger)
            for (position, queue) in params.queues.enumerated() {
                try await connection.query("""
                    INSERT INTO worker_queues (queue, worker_id, position) VALUES (\(queue), \(params.workerId), \(position))
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
        }
    }

    /// The worker's row is locked shared first, as a lease does, and rewritten last: a report
    /// with `next` holds its task and then rewrites the row, so a heartbeat that rewrote it
    /// before renewing that task waited for the report while the report waited for it.
    public func heartbeat(_ params: HeartbeatParams) async throws -> [String] {
        try await transaction { [self] connection in
            let worker = try await connection.query(
                "SELECT 1 FROM workers WHERE id = \(params.workerId) FOR KEY SHARE", logger: logger
            ).collect()
            guard !worker.isEmpty else { throw StoreError.workerNotFound(params.workerId) }
            // Locked as they are read: a lease expiring meanwhile has its row locked, and once
            // that commits, the row is no longer this worker's and is left out, not answered as
            // held and renewed while another worker leases the task.
            var held: [(seq: Int64, id: String)] = []
            let rows = try await connection.query(
                "SELECT seq, id FROM tasks WHERE worker_id = \(params.workerId) AND state = 'started' \(unescaped: Self.inLockOrder)",
                logger: logger)
            for try await row in rows.decode((Int64, String).self) { held.append(row) }
            let heldIds = held.sorted { $0.seq < $1.seq }.map(\.id)
            let renewed = params.taskIds.map { Set($0) }.map { wanted in heldIds.filter(wanted.contains) } ?? heldIds
            if !renewed.isEmpty {
                try await connection.query(
                    "UPDATE tasks SET lease_expires_at = \(params.leaseExpiresAt) WHERE id = ANY(\(renewed))", logger: logger)
            }
            _ = try await touchWorker(connection, id: params.workerId, now: params.now)
            return heldIds
        }
    }

    public func deleteWorkers(_ selection: WorkerSelection) async throws -> Int {
        switch selection {
        case .id(let id):
            let deleted = try await transaction { [self] connection in
                let deleted = try await deleteWorkers(connection, ids: [id])
                if deleted.count == 0 { throw StoreError.workerNotFound(id) }
                return deleted
            }
            announceReturned(deleted.queues)
            return deleted.count
        case .queue(let queue):
            // The workers registered when it is read; a slice per transaction, so that none
            // holds the locks of thousands of workers and their tasks at once.
            let ids = try await query("SELECT worker_id FROM worker_queues WHERE queue = \(queue)").map { try $0.decode(String.self) }
            var count = 0
            for start in stride(from: 0, to: ids.count, by: Self.workersPerTransaction) {
                let slice = Array(ids[start..<min(start + Self.workersPerTransaction, ids.count)])
                let deleted = try await transaction { [self] connection in try await deleteWorkers(connection, ids: slice) }
                announceReturned(deleted.queues)
                count += deleted.count
            }
            return count
        }
    }

    private static let workersPerTransaction = 256

    /// Tells the other servers about tasks that went back to their queues (or owners).
    func announceReturned(_ queues: Set<String>) {
        if !queues.isEmpty { announce(.tasksAvailable(queues.sorted())) }
    }

    /// Returns the workers' started tasks to their queues (those whose queue is gone go; one
    /// whose queue is being deleted stays started until its lease runs out) and drops their
    /// own copies; answers how many of them it deleted (one deleted meanwhile, by another
    /// request or server, is not counted twice) and the queues that got tasks back, to
    /// announce once committed.
    func deleteWorkers(_ connection: PostgresConnection, ids: [String]) async throws -> (count: Int, queues: Set<String>) {
        guard !ids.isEmpty else { return (0, []) }
        // First, so that a lease under way for one of them (`couchqueue_lease` holds its
        // worker's row) commits before the started tasks are returned below.
        var locked: [String] = []
        let rows = try await connection.query("SELECT id FROM workers WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE", logger: logger)
        for try await id in rows.decode(String.self) { locked.append(id) }
        guard !locked.isEmpty else { return (0, []) }
        let ids = locked
        // Then the rows of the queues its tasks are in, before any task: `DELETE /queue` holds
        // its queue's row and then deletes waiting tasks, so locking a copy first could deadlock.
        try await connection.run("""
            SELECT 1 FROM queues WHERE name IN (
                SELECT queue FROM tasks WHERE worker_id = ANY(\(ids)) AND state = 'started'
                UNION SELECT queue FROM tasks WHERE owner_id = ANY(\(ids)) AND state = 'queued' AND owner_id IS NOT NULL)
            ORDER BY name FOR KEY SHARE
            """, logger: logger)
        try await connection.run(
            "SELECT 1 FROM tasks WHERE worker_id = ANY(\(ids)) AND state = 'started' \(unescaped: Self.inLockOrder)", logger: logger)
        try await connection.query(
            "DELETE FROM tasks WHERE owner_id = ANY(\(ids)) AND state = 'queued' AND owner_id IS NOT NULL", logger: logger)
        try await connection.query(
            "DELETE FROM tasks WHERE worker_id = ANY(\(ids)) AND state = 'started' AND owner_id = worker_id", logger: logger)
        try await connection.query(
            "DELETE FROM tasks WHERE worker_id = ANY(\(ids)) AND state = 'started' AND \(unescaped: Self.itsQueueIsGone)",
            logger: logger)
        let returned = try await connection.query("""
            UPDATE tasks SET state = 'queued', worker_id = NULL, lease_expires_at = NULL
            WHERE worker_id = ANY(\(ids)) AND state = 'started' AND \(unescaped: Self.itsQueueExists) RETURNING queue
            """, logger: logger)
        var queues = Set<String>()
        for try await queue in returned.decode(String.self) { queues.insert(queue) }
        try await connection.query("DELETE FROM worker_queues WHERE worker_id = ANY(\(ids))", logger: logger)
        try await connection.query("DELETE FROM workers WHERE id = ANY(\(ids))", logger: logger)
        return (ids.count, queues)
    }

    /// Records a sign of life and answers the worker's queues, or throws `workerNotFound`.
    func touchWorker(_ connection: PostgresConnection, id: String, now: Double) async throws -> [String] {
        let rows = try await connection.query(
            "UPDATE workers SET last_seen_at = \(now) WHERE id = \(id) RETURNING queues", logger: logger)
        for try await queues in rows.decode(String.self) { return try StoredText.queueList(from: queues) }
        throw StoreError.workerNotFound(id)
    }
}
