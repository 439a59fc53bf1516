import CouchQueueModel
import CouchQueueStore
import GRDB

extension SQLiteStore {
    public func leaseTasks(_ params: LeaseParams) async throws -> [QueueTask] {
        try await writer.write(.savepoint, durability: .logged) { [twins, leaseExpiryBound] db in try Self.lease(db, twins, leaseExpiryBound, params) }
    }

    /// Reads the sources a lease reads, on a reader: the writer is not involved.
    public func hasDueTasks(workerId: String, now: Double) async throws -> Bool? {
        try await pool.read { db in
            let stored = try String.fetchOne(db.cachedStatement(sql: "SELECT queues FROM workers WHERE id = ?"), arguments: [workerId])
            guard let stored else { return nil }
            for source in [Self.ownCopies(of: workerId)] + (try StoredText.queueList(from: stored)).map(Self.queue) {
                let due = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (\(source.sql))"), arguments: [source.key, now])
                if due == true { return true }
            }
            return false
        }
    }

    /// Chooses the tasks first, reading each source once, then starts them all in one
    /// statement: a lease of 50 costs two statements per source, not two per task.
    static func lease(_ db: Database, _ twins: TwinRegistry, _ leaseExpiryBound: LeaseExpiryBound, _ params: LeaseParams) throws -> [QueueTask] {
        let queues = try touchWorker(db, id: params.workerId, now: params.now)
        var choice = LeaseChoice(limit: params.limit)
        for source in [ownCopies(of: params.workerId)] + queues.map(queue) where !choice.isFull {
            try choose(db, twins, from: source, now: params.now, into: &choice)
        }
        if !choice.seqs.isEmpty { leaseExpiryBound.lower(to: params.leaseExpiresAt) }
        return try start(db, choice.seqs, params)
    }

    /// Starts the chosen tasks, answered in the order they were chosen. One task is named
    /// directly: a JSON list costs SQLite a temporary table, worth it only for several.
    private static func start(_ db: Database, _ seqs: [Int64], _ params: LeaseParams) throws -> [QueueTask] {
        guard !seqs.isEmpty else { return [] }
        let chosen: (condition: String, argument: DatabaseValueConvertible) =
            seqs.count == 1
            ? ("seq = ?4", seqs[0])
            : ("seq IN (SELECT value FROM json_each(?4))", "[\(seqs.map(String.init).joined(separator: ","))]")
        let rows = try ColumnCursor(
            db.cachedStatement(sql: """
                UPDATE tasks SET state = 'started', worker_id = ?1, attempts = attempts + 1,
                    started_at = ?2, lease_expires_at = ?3
                WHERE \(chosen.condition) RETURNING \(TaskRow.columns), seq
                """),
            arguments: [params.workerId, params.now, params.leaseExpiresAt, chosen.argument]
        ) { row in (seq: row[TaskRow.columnCount] as Int64, task: TaskRow.decode(row, now: params.now)) }
        var started: [Int64: QueueTask] = [:]
        while let row = try rows.next() { started[row.seq] = row.task }
        return seqs.compactMap { started[$0] }
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
            let worker = try ColumnCursor.first(
                db.cachedStatement(sql: "SELECT queues, last_seen_at FROM workers WHERE id = ?"), arguments: [id],
                read: { (queues: $0[0] as String, lastSeen: $0[1] as Double) })
        else { throw StoreError.workerNotFound(id) }
        if now - worker.lastSeen >= lastSeenResolution {
            try db.cachedStatement(sql: "UPDATE workers SET last_seen_at = ? WHERE id = ?").execute(arguments: [now, id])
        }
        return try StoredText.queueList(from: worker.queues)
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

    /// Adds the due tasks of `source` to `choice`, oldest first, passing over `singularlyRun`
    /// ones whose twin (`singularlyRun` or not) is started or already chosen. The candidates
    /// are read through a cursor: usually only the rows taken are ever read.
    private static func choose(
        _ db: Database, _ twins: TwinRegistry, from source: Source, now: Double, into choice: inout LeaseChoice
    ) throws {
        // A candidate's queue and data are read only when it is `singularlyRun`.
        let candidates = try ColumnCursor(db.cachedStatement(sql: source.sql), arguments: [source.key, now]) { row in
            (seq: row[0] as Int64, twin: row[2] ? LeaseChoice.Twin(queue: row[1], dataKey: row[3], data: row[4]) : nil)
        }
        while !choice.isFull, let candidate = try candidates.next() {
            guard let twin = candidate.twin else {
                choice.seqs.append(candidate.seq)
                continue
            }
            if try hasStartedTwin(db, twins, queue: twin.queue, dataKey: twin.dataKey, data: twin.data, starting: choice.seqs) {
                continue
            }
            choice.seqs.append(candidate.seq)
        }
    }
}

/// The tasks one lease has chosen so far, in the order they are handed out.
private struct LeaseChoice {
    /// What makes a `singularlyRun` task's twins: one queue, equal data.
    struct Twin {
        let queue: String
        let dataKey: Int64
        let data: String
    }

    let limit: Int
    var seqs: [Int64] = []

    var isFull: Bool { seqs.count >= limit }
}
