import CouchQueueModel
import CouchQueueStore
import GRDB

extension SQLiteStore {
    public func task(id: String, now: Double) async throws -> QueueTask? {
        try await pool.read { db in try TaskRow.fetch(db, id: id, now: now) }
    }

    public func queueSummary(name: String, now: Double) async throws -> QueueSummary? {
        try await pool.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM queues WHERE name = ?)", arguments: [name]) == true
            else { return nil }
            let counts = try Self.counts(db, queue: name, now: now)
            let started = try Self.startedCounts(db, queue: name)[name] ?? 0
            return QueueSummary(name: name, length: counts.queued, scheduled: counts.scheduled, started: started)
        }
    }

    public func queueOverviews(now: Double) async throws -> [QueueOverview] {
        try await pool.read { db in
            let started = try Self.startedCounts(db)
            return try String.fetchAll(db, sql: "SELECT name FROM queues ORDER BY name").map { name in
                let counts = try Self.counts(db, queue: name, now: now)
                let failed = try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM tasks WHERE queue = ? AND state = 'failed'", arguments: [name]) ?? 0
                let workers = try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM worker_queues WHERE queue = ?", arguments: [name]) ?? 0
                return QueueOverview(
                    name: name, length: counts.queued, scheduled: counts.scheduled, started: started[name] ?? 0,
                    failed: failed, workers: workers)
            }
        }
    }

    /// Queue-level counts; scope `all` copies count in their workers' queues, not here.
    private static func counts(_ db: Database, queue: String, now: Double) throws -> (queued: Int, scheduled: Int) {
        let waiting = "SELECT count(*) FROM tasks WHERE queue = ? AND state = 'queued' AND owner_id IS NULL"
        let queued = try Int.fetchOne(db, sql: waiting + " AND run_at <= ?", arguments: [queue, now]) ?? 0
        let scheduled = try Int.fetchOne(db, sql: waiting + " AND run_at > ?", arguments: [queue, now]) ?? 0
        return (queued, scheduled)
    }

    /// Started tasks by queue (of `queue` alone, if named), read through the one index over
    /// started tasks: they are as many as the leases held (migration v5). Those of a deleted
    /// queue (`queue_deleted`) belong to no queue of that name created since.
    private static func startedCounts(_ db: Database, queue: String? = nil) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT queue, count(*) FROM tasks INDEXED BY tasks_held
                WHERE state = 'started' AND NOT queue_deleted AND (?1 IS NULL OR queue = ?1) GROUP BY queue
                """,
            arguments: [queue])
        while let row = try rows.next() { counts[row[0]] = row[1] }
        return counts
    }

    public func workerQueueLength(workerId: String) async throws -> Int? {
        try await pool.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM workers WHERE id = ?)", arguments: [workerId]) == true
            else { return nil }
            return try Int.fetchOne(
                db, sql: "SELECT count(*) FROM tasks WHERE owner_id = ? AND state = 'queued' AND owner_id IS NOT NULL",
                arguments: [workerId]) ?? 0
        }
    }

    public func workers() async throws -> [WorkerSummary] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.workerColumns) FROM workers ORDER BY registered_at, id").map {
                try Self.workerSummary(db, $0)
            }
        }
    }

    public func worker(id: String) async throws -> WorkerSummary? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.workerColumns) FROM workers WHERE id = ?", arguments: [id]).map {
                try Self.workerSummary(db, $0)
            }
        }
    }

    private static let workerColumns = "id, queues, registered_at, last_seen_at"

    private static func workerSummary(_ db: Database, _ row: Row) throws -> WorkerSummary {
        let id: String = row["id"]
        let held = try String.fetchAll(
            db, sql: "SELECT id FROM tasks WHERE worker_id = ? AND state = 'started' ORDER BY seq", arguments: [id])
        return WorkerSummary(
            workerId: id, queues: try StoredText.queueList(from: row["queues"]), tasks: held,
            registeredAt: row["registered_at"], lastSeenAt: row["last_seen_at"])
    }

    public func failedTasks(offset: Int, limit: Int, maxBytes: Int, now: Double) async throws -> FailedQueuePage {
        try await pool.read { db in
            let length = try Int.fetchOne(db, sql: "SELECT count(*) FROM tasks WHERE state = 'failed'") ?? 0
            // Stepped a row at a time: the rows past the page's size are never read.
            let rows = try ColumnCursor(
                db.makeStatement(sql: """
                    SELECT \(TaskRow.columns) FROM tasks WHERE state = 'failed'
                    ORDER BY finished_at DESC, seq DESC LIMIT ? OFFSET ?
                    """),
                arguments: limit, offset
            ) { TaskRow.decode($0, now: now) }
            return try FailedQueuePage.cut(length: length, offset: offset, maxBytes: maxBytes) {
                try rows.next().map { ($0, FailedQueuePage.size(of: $0)) }
            }
        }
    }
}
