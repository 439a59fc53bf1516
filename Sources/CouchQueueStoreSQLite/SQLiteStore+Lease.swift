import CouchQueueModel
import CouchQueueStore
import GRDB

extension SQLiteStore {
    /// Batch of due candidates read at a time; more are read only when `singularlyRun` twins
    /// hold back a whole batch.
    private static let candidateBatch = 16

    public func leaseTask(_ params: LeaseParams) async throws -> QueueTask? {
        try await writer.write { db in
            let queues = try Self.touchWorker(db, id: params.workerId, now: params.now)
            let sources = [Self.ownCopies(of: params.workerId)] + queues.map(Self.queue)
            for source in sources {
                if let seq = try Self.firstLeasable(db, source, now: params.now) {
                    let row = try Row.fetchOne(
                        db.cachedStatement(sql: """
                            UPDATE tasks SET state = 'started', worker_id = ?, attempts = attempts + 1,
                                started_at = ?, lease_expires_at = ?
                            WHERE seq = ? RETURNING \(TaskRow.columns)
                            """),
                        arguments: [params.workerId, params.now, params.leaseExpiresAt, seq])
                    return try row.map { try TaskRow.decode($0, now: params.now) }
                }
            }
            return nil
        }
    }

    /// Throws `workerNotFound` unless the worker exists.
    static func requireWorker(_ db: Database, id: String) throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM workers WHERE id = ?)"), arguments: [id]) == true
        else { throw StoreError.workerNotFound(id) }
    }

    /// Records a sign of life and answers the worker's queues, or throws `workerNotFound`.
    static func touchWorker(_ db: Database, id: String, now: Double) throws -> [String] {
        guard
            let queues = try String.fetchOne(
                db.cachedStatement(sql: "UPDATE workers SET last_seen_at = ? WHERE id = ? RETURNING queues"),
                arguments: [now, id])
        else { throw StoreError.workerNotFound(id) }
        return try StoredText.queueList(from: queues)
    }

    /// Where a lease looks for due waiting tasks, oldest first.
    private struct Source {
        let sql: String
        let key: String
    }

    private static func ownCopies(of worker: String) -> Source {
        Source(
            sql: """
                SELECT seq, queue, singularly_run, data_key, data FROM tasks
                WHERE owner_id = ? AND state = 'queued' AND owner_id IS NOT NULL AND run_at <= ?
                ORDER BY run_at, seq LIMIT ? OFFSET ?
                """,
            key: worker)
    }

    private static func queue(_ name: String) -> Source {
        Source(
            sql: """
                SELECT seq, queue, singularly_run, data_key, data FROM tasks
                WHERE queue = ? AND state = 'queued' AND owner_id IS NULL AND run_at <= ?
                ORDER BY run_at, seq LIMIT ? OFFSET ?
                """,
            key: name)
    }

    /// The oldest due task of `source` that no started twin holds back.
    private static func firstLeasable(_ db: Database, _ source: Source, now: Double) throws -> Int64? {
        var offset = 0
        while true {
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: source.sql), arguments: [source.key, now, candidateBatch, offset])
            for row in rows {
                let singular: Bool = row["singularly_run"]
                if !singular { return row["seq"] }
                if try !hasStartedTwin(db, queue: row["queue"], dataKey: row["data_key"], data: row["data"]) {
                    return row["seq"]
                }
            }
            guard rows.count == candidateBatch else { return nil }
            offset += candidateBatch
        }
    }

    private static func hasStartedTwin(_ db: Database, queue: String, dataKey: Int64, data: String) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM tasks
                    WHERE queue = ? AND data_key = ? AND state IN ('queued', 'started') AND state = 'started' AND data = ?)
                """),
            arguments: [queue, dataKey, data]) ?? false
    }
}
