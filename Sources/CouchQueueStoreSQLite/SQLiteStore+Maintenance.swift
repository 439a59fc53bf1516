import CouchQueueStore
import GRDB

/// Maintenance writes are `.logged`: should a power loss undo one, it runs again.
extension SQLiteStore {
    /// Started tasks are read (all of them, through `tasks_held`) only once `leaseExpiryBound`
    /// says a lease may have run out.
    public func expireLeases(now: Double) async throws -> Int {
        guard leaseExpiryBound.mayHaveExpired(by: now) else { return 0 }
        do {
            return try await writer.write(durability: .logged) { [twins, leaseExpiryBound] db in
                let gone = try Self.deleteLiveTasks(
                    db, twins,
                    sql: "DELETE FROM tasks INDEXED BY tasks_held WHERE state = 'started' AND lease_expires_at <= ? AND \(Self.itsQueueIsGone)",
                    arguments: [now])
                try db.execute(
                    sql: """
                        UPDATE tasks INDEXED BY tasks_held SET state = 'queued', worker_id = NULL, lease_expires_at = NULL
                        WHERE state = 'started' AND lease_expires_at <= ?
                        """,
                    arguments: [now])
                let returned = db.changesCount
                leaseExpiryBound.reset(
                    to: try Double.fetchOne(db, sql: "SELECT min(lease_expires_at) FROM tasks INDEXED BY tasks_held WHERE state = 'started'"))
                return gone + returned
            }
        } catch {
            leaseExpiryBound.forget()
            throw error
        }
    }

    /// A started task whose queue was deleted (`DELETE /queue` leaves it to its worker) has
    /// nowhere to go back to: where it would, it is deleted, as the queue's waiting tasks were.
    /// A queue of the same name created since is another queue (`queue_deleted`, v6).
    static let itsQueueIsGone = "(queue_deleted OR NOT EXISTS (SELECT 1 FROM queues WHERE name = tasks.queue))"

    /// A slice of workers per write (`workersPerSlice`), as `DELETE /worker?queue=` does: in one
    /// write, a mass reaping held every publish back for as long as it took.
    public func reapWorkers(lastSeenBefore: Double) async throws -> Int {
        var reaped = 0
        while true {
            let slice = try await writer.write(durability: .logged) { [self] db in
                let idle = try String.fetchAll(
                    db,
                    sql: """
                        SELECT id FROM workers w WHERE last_seen_at < ?
                        AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.worker_id = w.id AND t.state = 'started')
                        LIMIT ?
                        """,
                    arguments: [lastSeenBefore, Self.workersPerSlice])
                for id in idle { try deleteWorker(db, id: id) }
                return idle.count
            }
            reaped += slice
            if slice < Self.workersPerSlice { return reaped }
        }
    }

    public func sweepSucceeded(finishedBefore: Double, limit: Int) async throws -> Int {
        try await writer.write(durability: .logged) { db in
            try db.execute(
                sql: """
                    DELETE FROM tasks WHERE seq IN (
                        SELECT seq FROM tasks WHERE state = 'succeeded' AND finished_at < ? LIMIT ?)
                    """,
                arguments: [finishedBefore, limit])
            return db.changesCount
        }
    }
}
