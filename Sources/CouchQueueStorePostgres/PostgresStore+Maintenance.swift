import CouchQueueStore
import PostgresNIO

/// Each step claims its rows with `FOR UPDATE SKIP LOCKED`, so any number of servers may run
/// maintenance at once without a leader: a row is handled by exactly one of them.
extension PostgresStore {
    /// Rows one step handles per transaction, so no step holds many locks for long.
    private static let batch = 1000

    public func expireLeases(now: Double) async throws -> Int {
        let returned = try await transaction { connection in
            let rows = try await connection.query("""
                UPDATE tasks SET state = 'queued', worker_id = NULL, lease_expires_at = NULL
                WHERE seq IN (SELECT seq FROM tasks WHERE state = 'started' AND lease_expires_at <= \(now)
                    LIMIT \(Self.batch) FOR UPDATE SKIP LOCKED)
                RETURNING COALESCE(owner_id, queue)
                """, logger: logger)
            var keys = Set<String>()
            var count = 0
            for try await key in rows.decode(String.self) {
                keys.insert(key)
                count += 1
            }
            return (count: count, queues: keys)
        }
        announceReturned(returned.queues)
        return returned.count
    }

    public func reapWorkers(lastSeenBefore: Double) async throws -> Int {
        let reaped = try await transaction { connection in
            let rows = try await connection.query("""
                SELECT id FROM workers w WHERE last_seen_at < \(lastSeenBefore)
                    AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.worker_id = w.id AND t.state = 'started')
                LIMIT \(Self.batch) FOR UPDATE SKIP LOCKED
                """, logger: logger)
            var ids: [String] = []
            for try await id in rows.decode(String.self) { ids.append(id) }
            return (count: ids.count, queues: try await deleteWorkers(connection, ids: ids))
        }
        announceReturned(reaped.queues)
        return reaped.count
    }

    public func sweepSucceeded(finishedBefore: Double, limit: Int) async throws -> Int {
        let rows = try await client.query("""
            WITH gone AS (DELETE FROM tasks WHERE seq IN (
                SELECT seq FROM tasks WHERE state = 'succeeded' AND finished_at < \(finishedBefore)
                LIMIT \(limit) FOR UPDATE SKIP LOCKED) RETURNING 1)
            SELECT count(*)::int8 FROM gone
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
