import CouchQueueModel
import CouchQueueStore
import GRDB

/// Reads a `tasks` row as the wire's task object.
enum TaskRow {
    /// Every column `decode` needs, for `SELECT` lists.
    static let columns = """
        id, publication_id, queue, owner_id, worker_id, publisher, data, scope, singularly_enqueue,
        singularly_run, state, attempts, run_at, created_at, started_at, finished_at, fail_reason
        """
    /// How many `columns` there are: a column listed after them is read at this position.
    private static let columnCount = 17

    /// What a lease and a report read of a task: `columns`, then its `seq` and `data_key` (`keys`).
    static let selectWithKeys = "SELECT \(columns), seq, data_key FROM tasks"

    /// The row's `seq` and `data_key`, as `selectWithKeys` lists them after `columns`.
    static func keys(_ row: Columns) -> (seq: Int64, dataKey: Int64) {
        (row[columnCount], row[columnCount + 1])
    }

    /// A waiting task whose `run_at` is still ahead shows as `scheduled`. Columns are read by
    /// position, in the order of `columns`: this runs for every task handed out.
    static func decode(_ row: Columns, now: Double) -> QueueTask {
        let runAt: Double = row[12]
        var state = TaskState(rawValue: row[10]) ?? .queued
        if state == .queued && runAt > now { state = .scheduled }
        let data = Self.data(row)
        let worker: String? = row[4]
        return QueueTask(
            id: row[0],
            publicationId: row[1],
            queue: queue(row),
            workerId: worker ?? row[3],
            publisher: row[5],
            data: CanonicalJSON(storedText: data),
            scope: TaskScope(rawValue: row[7]) ?? .any,
            singularlyEnqueue: row[8],
            singularlyRun: singularlyRun(row),
            state: state,
            attempts: row[11],
            runAt: runAt,
            createdAt: row[13],
            startedAt: row[14],
            finishedAt: row[15],
            failReason: row[16]
        )
    }

    /// The few columns a lease reads of a task it may pass over, without decoding the rest.
    static func singularlyRun(_ row: Columns) -> Bool { row[9] }
    static func queue(_ row: Columns) -> String { row[2] }
    static func data(_ row: Columns) -> String { row[6] }

    /// The worker a copy of scope `all` is for (`owner_id`), which `decode` shows as the task's
    /// worker only while nobody holds it.
    static func owner(_ row: Columns) -> String? {
        row[3]
    }

    private static let byId = TaskKey.Lookup { "SELECT \(columns) FROM tasks WHERE \($0)" }

    static func fetch(_ db: Database, id: String, now: Double) throws -> QueueTask? {
        let lookup = byId.finding(id)
        return try ColumnCursor.first(db.cachedStatement(sql: lookup.sql), arguments: lookup.seq, id) {
            decode($0, now: now)
        }
    }
}
