import CouchQueueModel
import CouchQueueStore
import GRDB

extension SQLiteStore {
    public func registerWorker(_ params: RegisterWorkerParams) async throws {
        let queues = StoredText.queueList(params.queues)
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO workers (id, queues, registered_at, last_seen_at) VALUES (?, ?, ?, ?)",
                arguments: [params.workerId, queues, params.now, params.now])
            for (position, queue) in params.queues.enumerated() {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO worker_queues (queue, worker_id, position) VALUES (?, ?, ?)",
                    arguments: [queue, params.workerId, position])
            }
        }
    }

    /// Refused (an unknown worker) only before it writes: no savepoint (`Savepoint`).
    public func heartbeat(_ params: HeartbeatParams) async throws -> [String] {
        try await writer.write(.refusalsBeforeWrites, durability: .logged) { [self] db in
            _ = try touchWorker(db, id: params.workerId, now: params.now)
            let held = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT seq, id FROM tasks WHERE worker_id = ? AND state = 'started' ORDER BY seq"),
                arguments: [params.workerId]
            ).map { (seq: $0[0] as Int64, id: $0[1] as String) }
            let renewed = params.taskIds.map { Set($0) }.map { wanted in held.filter { wanted.contains($0.id) } } ?? held
            if !renewed.isEmpty { leaseExpiryBound.lower(to: params.leaseExpiresAt) }
            let renew = try db.cachedStatement(sql: "UPDATE tasks SET lease_expires_at = ? WHERE seq = ?")
            for task in renewed {
                try renew.run(params.leaseExpiresAt, task.seq)
            }
            return held.map(\.id)
        }
    }

    public func deleteWorkers(_ selection: WorkerSelection) async throws -> Int {
        switch selection {
        case .id(let id):
            return try await writer.write { [self] db in
                _ = try knownWorker(db, id: id)
                try deleteWorker(db, id: id)
                return 1
            }
        case .queue(let queue):
            // The workers registered when it is read; a slice at a time, so that other writes
            // are not held back behind thousands of workers.
            let ids = try await pool.read { db in
                try String.fetchAll(db, sql: "SELECT worker_id FROM worker_queues WHERE queue = ?", arguments: [queue])
            }
            var deleted = 0
            for start in stride(from: 0, to: ids.count, by: Self.workersPerSlice) {
                let slice = ids[start..<min(start + Self.workersPerSlice, ids.count)]
                deleted += try await writer.write { [self] db in
                    try slice.reduce(0) { count, id in try deleteWorker(db, id: id) ? count + 1 : count }
                }
            }
            return deleted
        }
    }

    /// Workers deleted per write: about 13 ms of the writer's time.
    static let workersPerSlice = 256

    /// Returns the worker's started tasks to their queues (those whose queue is gone go) and
    /// drops its own copies; answers whether the worker was there to delete (another request
    /// may have deleted it). Its statements are prepared once: prepared for each worker, they
    /// held the writer about 0.75 ms a worker, and `DELETE /worker?queue=` of 4,000 workers
    /// held every other write back for 3 s. In the writer.
    @discardableResult
    func deleteWorker(_ db: Database, id: String) throws -> Bool {
        workers[id] = nil
        // Each statement matches a partial index, so the cost does not grow with the backlog.
        try Self.deleteLiveTasks(
            db, twins, sql: "DELETE FROM tasks WHERE owner_id = ? AND state = 'queued' AND owner_id IS NOT NULL", arguments: [id])
        try Self.deleteLiveTasks(
            db, twins, sql: "DELETE FROM tasks WHERE worker_id = ? AND state = 'started' AND owner_id = ?", arguments: [id, id])
        try Self.deleteLiveTasks(
            db, twins, sql: "DELETE FROM tasks WHERE worker_id = ? AND state = 'started' AND \(Self.itsQueueIsGone)", arguments: [id])
        try db.cachedStatement(
            sql: "UPDATE tasks SET state = 'queued', worker_id = NULL, lease_expires_at = NULL WHERE worker_id = ? AND state = 'started'"
        ).execute(arguments: [id])
        try db.cachedStatement(sql: "DELETE FROM worker_queues WHERE worker_id = ?").execute(arguments: [id])
        try db.cachedStatement(sql: "DELETE FROM workers WHERE id = ?").execute(arguments: [id])
        return db.changesCount > 0
    }
}
