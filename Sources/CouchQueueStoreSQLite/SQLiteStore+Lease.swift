import CouchQueueModel
import CouchQueueStore
import GRDB

extension SQLiteStore {
    public func leaseTasks(_ params: LeaseParams) async throws -> [QueueTask] {
        try await writer.write { db in try Self.lease(db, params) }
    }

    static func lease(_ db: Database, _ params: LeaseParams) throws -> [QueueTask] {
        let queues = try touchWorker(db, id: params.workerId, now: params.now)
        let sources = [ownCopies(of: params.workerId)] + queues.map(queue)
        var leased: [QueueTask] = []
        for source in sources {
            while leased.count < params.limit, let seq = try firstLeasable(db, source, now: params.now) {
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: """
                        UPDATE tasks SET state = 'started', worker_id = ?, attempts = attempts + 1,
                            started_at = ?, lease_expires_at = ?
                        WHERE seq = ? RETURNING \(TaskRow.columns)
                        """),
                    arguments: [params.workerId, params.now, params.leaseExpiresAt, seq])
                if let row { leased.append(TaskRow.decode(row, now: params.now)) }
            }
        }
        return leased
    }

    /// Throws `workerNotFound` unless the worker exists.
    static func requireWorker(_ db: Database, id: String) throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM workers WHERE id = ?)"), arguments: [id]) == true
        else { throw StoreError.workerNotFound(id) }
    }

    /// How far a worker's `last_seen_at` may lag behind its last call. A busy worker leases
    /// hundreds of times a second; rewriting its row each time would cost a write per lease.
    static let lastSeenResolution = 0.1

    /// Records a sign of life and answers the worker's queues, or throws `workerNotFound`.
    static func touchWorker(_ db: Database, id: String, now: Double) throws -> [String] {
        guard
            let worker = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT queues, last_seen_at FROM workers WHERE id = ?"), arguments: [id])
        else { throw StoreError.workerNotFound(id) }
        if now - (worker[1] as Double) >= lastSeenResolution {
            try db.cachedStatement(sql: "UPDATE workers SET last_seen_at = ? WHERE id = ?").execute(arguments: [now, id])
        }
        return try StoredText.queueList(from: worker[0])
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
                ORDER BY run_at, seq
                """,
            key: worker)
    }

    private static func queue(_ name: String) -> Source {
        Source(
            sql: """
                SELECT seq, queue, singularly_run, data_key, data FROM tasks
                WHERE queue = ? AND state = 'queued' AND owner_id IS NULL AND run_at <= ?
                ORDER BY run_at, seq
                """,
            key: name)
    }

    /// The oldest due task of `source` that no started twin holds back. The candidates are
    /// read through a cursor: usually only the first row is ever read.
    private static func firstLeasable(_ db: Database, _ source: Source, now: Double) throws -> Int64? {
        let candidates = try Row.fetchCursor(db.cachedStatement(sql: source.sql), arguments: [source.key, now])
        while let row = try candidates.next() {
            let singular: Bool = row[2]
            if !singular { return row[0] }
            if try !hasStartedTwin(db, queue: row[1], dataKey: row[3], data: row[4]) { return row[0] }
        }
        return nil
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
