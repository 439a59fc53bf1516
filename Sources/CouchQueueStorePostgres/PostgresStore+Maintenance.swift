import CouchQueueStore
import PostgresNIO

/// Each step claims its rows with `FOR UPDATE SKIP LOCKED`, so any number of servers may run
/// maintenance at once without a leader: a row is handled by exactly one of them.
extension PostgresStore {
    /// Rows one step handles per transaction, so no step holds many locks for long.
    private static let batch = 1000

    /// A task whose queue was deleted while it was started goes, as the queue's waiting tasks
    /// did. One whose queue is being deleted is left to the next pass: the lock on the queue's
    /// row waits for the deletion, which then finds the queue gone.
    public func expireLeases(now: Double) async throws -> Int {
        let returned = try await transaction { [self] connection in
            let gone = try await connection.query("""
                WITH gone AS (DELETE FROM tasks WHERE seq IN (
                    SELECT seq FROM tasks WHERE state = 'started' AND lease_expires_at <= \(now)
                        AND \(unescaped: Self.itsQueueIsGone) LIMIT \(Self.batch) FOR UPDATE SKIP LOCKED) RETURNING 1)
                SELECT count(*)::int8 FROM gone
                """, logger: logger)
            var count = 0
            for try await deleted in gone.decode(Int.self) { count = deleted }
            let rows = try await connection.query("""
                UPDATE tasks SET state = 'queued', worker_id = NULL, lease_expires_at = NULL
                WHERE seq IN (SELECT seq FROM tasks WHERE state = 'started' AND lease_expires_at <= \(now)
                    AND \(unescaped: Self.itsQueueExists) LIMIT \(Self.batch) FOR UPDATE SKIP LOCKED)
                RETURNING COALESCE(owner_id, queue)
                """, logger: logger)
            var keys = Set<String>()
            for try await key in rows.decode(String.self) {
                keys.insert(key)
                count += 1
            }
            return (count: count, queues: keys)
        }
        announceReturned(returned.queues)
        return returned.count
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
