import CouchQueueModel
import CouchQueueStore
import GRDB

/// Reads a `tasks` row as the wire's task object.
enum TaskRow {
    /// Every column `decode` needs, for `SELECT` and `RETURNING` lists.
    static let columns = """
        id, publication_id, queue, owner_id, worker_id, publisher, data, scope, singularly_enqueue,
        singularly_run, state, attempts, run_at, created_at, started_at, finished_at, fail_reason
        """

    /// A waiting task whose `run_at` is still ahead shows as `scheduled`.
    static func decode(_ row: Row, now: Double) throws -> QueueTask {
        let stored: String = row["state"]
        let runAt: Double = row["run_at"]
        var state = TaskState(rawValue: stored) ?? .queued
        if state == .queued && runAt > now { state = .scheduled }
        let dataText: String = row["data"]
        return QueueTask(
            id: row["id"],
            publicationId: row["publication_id"],
            queue: row["queue"],
            workerId: row["worker_id"] ?? row["owner_id"],
            publisher: row["publisher"],
            data: try JSONValue.parse(Array(dataText.utf8), maxDepth: .max),
            scope: TaskScope(rawValue: row["scope"]) ?? .any,
            singularlyEnqueue: row["singularly_enqueue"],
            singularlyRun: row["singularly_run"],
            state: state,
            attempts: row["attempts"],
            runAt: runAt,
            createdAt: row["created_at"],
            startedAt: row["started_at"],
            finishedAt: row["finished_at"],
            failReason: row["fail_reason"]
        )
    }

    static func fetch(_ db: Database, id: String, now: Double) throws -> QueueTask? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(columns) FROM tasks WHERE id = ?"), arguments: [id]
        ).map { try decode($0, now: now) }
    }
}
