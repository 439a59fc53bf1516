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

    public func heartbeat(_ params: HeartbeatParams) async throws -> [String] {
        try await writer.write(.savepoint, durability: .logged) { [leaseExpiryBound] db in
            _ = try Self.touchWorker(db, id: params.workerId, now: params.now)
            let held = try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM tasks WHERE worker_id = ? AND state = 'started' ORDER BY seq"),
                arguments: [params.workerId])
            let renewed = params.taskIds.map { Set($0) }.map { wanted in held.filter(wanted.contains) } ?? held
            if !renewed.isEmpty { leaseExpiryBound.lower(to: params.leaseExpiresAt) }
            let renew = try db.cachedStatement(sql: "UPDATE tasks SET lease_expires_at = ? WHERE id = ?")
            for id in renewed {
                try renew.run(params.leaseExpiresAt, id)
            }
            return held
        }
    }

    public func deleteWorkers(_ selection: WorkerSelection) async throws -> Int {
        try await writer.write { [twins] db in
            let ids: [String]
            switch selection {
            case .id(let id):
                try Self.requireWorker(db, id: id)
                ids = [id]
            case .queue(let queue):
                ids = try String.fetchAll(db, sql: "SELECT worker_id FROM worker_queues WHERE queue = ?", arguments: [queue])
            }
            for id in ids { try Self.deleteWorker(db, twins, id: id) }
            return ids.count
        }
    }

    /// Returns the worker's started tasks to their queues (those whose queue is gone go) and
    /// drops its own copies.
    static func deleteWorker(_ db: Database, _ twins: TwinRegistry, id: String) throws {
        // Each statement matches a partial index, so the cost does not grow with the backlog.
        try deleteLiveTasks(
            db, twins, sql: "DELETE FROM tasks WHERE owner_id = ? AND state = 'queued' AND owner_id IS NOT NULL", arguments: [id])
        try deleteLiveTasks(
            db, twins, sql: "DELETE FROM tasks WHERE worker_id = ? AND state = 'started' AND owner_id = ?", arguments: [id, id])
        try deleteLiveTasks(
            db, twins, sql: "DELETE FROM tasks WHERE worker_id = ? AND state = 'started' AND \(itsQueueIsGone)", arguments: [id])
        try db.execute(
            sql: "UPDATE tasks SET state = 'queued', worker_id = NULL, lease_expires_at = NULL WHERE worker_id = ? AND state = 'started'",
            arguments: [id])
        try db.execute(sql: "DELETE FROM worker_queues WHERE worker_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM workers WHERE id = ?", arguments: [id])
    }
}
