import CouchQueueModel
import CouchQueueStore
import PostgresNIO

/// Reads a `tasks` row as the wire's task object.
enum PostgresTaskRow {
    /// Every column `decode` needs, in this order, for `SELECT` and `RETURNING` lists.
    static let columns = """
        id, publication_id, queue, owner_id, worker_id, publisher, data, scope, singularly_enqueue,
        singularly_run, state, attempts, run_at, created_at, started_at, finished_at, fail_reason
        """
    /// How many `columns` there are: a column listed after them is read at this position.
    static let columnCount = 17

    static func decode(_ row: PostgresRow, now: Double) throws -> QueueTask {
        let cells = row.makeRandomAccess()
        func value<T: PostgresDecodable>(_ index: Int, _: T.Type = T.self) throws -> T {
            try cells[index].decode(T.self)
        }
        let runAt: Double = try value(12)
        let stored: String = try value(10)
        var state = TaskState(rawValue: stored) ?? .queued
        if state == .queued && runAt > now { state = .scheduled }
        let data: String = try value(6)
        let worker: String? = try value(4)
        return QueueTask(
            id: try value(0), publicationId: try value(1), queue: try value(2), workerId: try worker ?? value(3),
            publisher: try value(5), data: CanonicalJSON(storedText: data),
            scope: TaskScope(rawValue: try value(7)) ?? .any, singularlyEnqueue: try value(8), singularlyRun: try value(9),
            state: state, attempts: try value(11), runAt: runAt, createdAt: try value(13), startedAt: try value(14),
            finishedAt: try value(15), failReason: try value(16))
    }

    static func fetch(_ connection: PostgresConnection, id: String, now: Double, logger: Logger) async throws -> QueueTask? {
        let rows = try await connection.query(
            "SELECT \(unescaped: columns) FROM tasks WHERE id = \(id)", logger: logger
        ).collect()
        return try rows.first.map { try decode($0, now: now) }
    }
}
