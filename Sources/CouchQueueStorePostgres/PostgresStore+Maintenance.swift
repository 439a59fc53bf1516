import CouchQueueStore
import PostgresNIO

/// Each step claims its rows with `FOR UPDATE SKIP LOCKED`, so any number of servers may run
/// maintenance at once without a leader: a row is handled by exactly one of them.
extension PostgresStore {
    /// Rows one step handles per transaction, so no step holds many locks for long.
    private static let batch = 1000

    /// Transactions one pass may run while each handles a full batch of expired leases: at
    /// one a pass, a mass expiry (a deployment's workers all gone at once) went back at 4,000
    /// tasks a second.
    private static let expiryBatchesPerPass = 10

    /// Returns expired leases' tasks to their queues, oldest expiry first, a batch per
    /// transaction.
    public func expireLeases(now: Double) async throws -> Int {
        var expired = 0
        for _ in 0..<Self.expiryBatchesPerPass {
            let batch = try await expireLeaseBatch(now: now)
            expired += batch.handled
            if batch.candidates < Self.batch || batch.handled == 0 { break }
        }
        return expired
    }

    /// The first `batch` leases to have run out, read through the index on expiry; each is
    /// checked again as its row is locked. A task whose queue was deleted while it was started
    /// goes, as the queue's waiting tasks did. One whose queue is being deleted is left to the
    /// next pass: the lock on the queue's row waits for the deletion, which then finds the
    /// queue gone. Each statement reads only the candidates: when they were found by the
    /// conditions themselves, each pass read every expired lease to look for tasks of deleted
    /// queues, in time growing with the square of a mass expiry.
    private func expireLeaseBatch(now: Double) async throws -> (candidates: Int, handled: Int) {
        let returned = try await transaction { [self] connection in
            let candidates = try await connection.query("""
                SELECT seq FROM tasks WHERE state = 'started' AND lease_expires_at <= \(now)
                ORDER BY lease_expires_at LIMIT \(Self.batch)
                """, logger: logger).collect().map { try $0.decode(Int64.self) }
            let gone = try await connection.query("""
                WITH gone AS (DELETE FROM tasks WHERE seq IN (
                    SELECT seq FROM tasks WHERE seq = ANY (\(candidates)) AND state = 'started' AND lease_expires_at <= \(now)
                        AND \(unescaped: Self.itsQueueIsGone) FOR UPDATE SKIP LOCKED) RETURNING 1)
                SELECT count(*)::int8 FROM gone
                """, logger: logger)
            var count = 0
            for try await deleted in gone.decode(Int.self) { count = deleted }
            let rows = try await connection.query("""
                UPDATE tasks SET state = 'queued', worker_id = NULL, lease_expires_at = NULL
                WHERE seq IN (SELECT seq FROM tasks WHERE seq = ANY (\(candidates)) AND state = 'started' AND lease_expires_at <= \(now)
                    AND \(unescaped: Self.itsQueueExists) FOR UPDATE SKIP LOCKED)
                RETURNING COALESCE(owner_id, queue)
                """, logger: logger)
            var keys = Set<String>()
            for try await key in rows.decode(String.self) {
                keys.insert(key)
                count += 1
            }
            return (candidates: candidates.count, count: count, queues: keys)
        }
        announceReturned(returned.queues)
        return (returned.candidates, returned.count)
    }

    /// A started task's queue still exists, locked until commit so that its deletion waits.
    /// One marked by its queue's deletion (`queue_deleted`) belongs to no queue of that name.
    static let itsQueueExists = "NOT tasks.queue_deleted AND EXISTS (SELECT 1 FROM queues q WHERE q.name = tasks.queue FOR KEY SHARE)"
    static let itsQueueIsGone = "(tasks.queue_deleted OR NOT EXISTS (SELECT 1 FROM queues q WHERE q.name = tasks.queue))"

    public func reapWorkers(lastSeenBefore: Double) async throws -> Int {
        let reaped = try await transaction { [self] connection in
            let rows = try await connection.query("""
                SELECT id FROM workers w WHERE last_seen_at < \(lastSeenBefore)
                    AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.worker_id = w.id AND t.state = 'started')
                LIMIT \(Self.batch) FOR UPDATE SKIP LOCKED
                """, logger: logger)
            var ids: [String] = []
            for try await id in rows.decode(String.self) { ids.append(id) }
            return try await deleteWorkers(connection, ids: ids)
        }
        announceReturned(reaped.queues)
        return reaped.count
    }

    public func sweepSucceeded(finishedBefore: Double, limit: Int) async throws -> Int {
        let rows = try await query("""
            WITH gone AS (DELETE FROM tasks WHERE seq IN (
                SELECT seq FROM tasks WHERE state = 'succeeded' AND finished_at < \(finishedBefore)
                LIMIT \(limit) FOR UPDATE SKIP LOCKED) RETURNING 1)
            SELECT count(*)::int8 FROM gone
            """)
        for count in try rows.decode(Int.self) { return count }
        return 0
    }
}
