import CouchQueueModel
import CouchQueueStore
import PostgresNIO

extension PostgresStore {
    public func task(id: String, now: Double) async throws -> QueueTask? {
        try await withConnection { [self] connection in
            try await PostgresTaskRow.fetch(connection, id: id, now: now, logger: logger)
        }
    }

    public func queueSummary(name: String, now: Double) async throws -> QueueSummary? {
        let rows = try await query("""
            SELECT \(unescaped: Self.countColumns(now: now)) FROM queues q WHERE q.name = \(name)
            """)
        for (queued, scheduled, started, _, _) in try rows.decode((Int, Int, Int, Int, Int).self) {
            return QueueSummary(name: name, length: queued, scheduled: scheduled, started: started)
        }
        return nil
    }

    public func queueOverviews(now: Double) async throws -> [QueueOverview] {
        let rows = try await query("""
            SELECT q.name, \(unescaped: Self.countColumns(now: now)) FROM queues q ORDER BY q.name
            """)
        var overviews: [QueueOverview] = []
        for (name, queued, scheduled, started, failed, workers) in try rows.decode((String, Int, Int, Int, Int, Int).self) {
            overviews.append(QueueOverview(name: name, length: queued, scheduled: scheduled, started: started, failed: failed, workers: workers))
        }
        return overviews
    }

    /// Per-queue counts for `queues q`; scope `all` copies count in their workers' queues, and
    /// started tasks of a deleted queue (`queue_deleted`) in no queue of that name created since.
    /// `now` is a number the server formats, never text from a request.
    private static func countColumns(now: Double) -> String {
        let waiting = "FROM tasks t WHERE t.queue = q.name AND t.state = 'queued' AND t.owner_id IS NULL"
        return """
            (SELECT count(*) \(waiting) AND t.run_at <= \(now))::int8,
            (SELECT count(*) \(waiting) AND t.run_at > \(now))::int8,
            (SELECT count(*) FROM tasks t WHERE t.queue = q.name AND t.state = 'started' AND NOT t.queue_deleted)::int8,
            (SELECT count(*) FROM tasks t WHERE t.queue = q.name AND t.state = 'failed')::int8,
            (SELECT count(*) FROM worker_queues w WHERE w.queue = q.name)::int8
            """
    }

    public func workerQueueLength(workerId: String) async throws -> Int? {
        let rows = try await query("""
            SELECT (SELECT count(*) FROM tasks WHERE owner_id = w.id AND state = 'queued' AND owner_id IS NOT NULL)::int8
            FROM workers w WHERE w.id = \(workerId)
            """)
        for length in try rows.decode(Int.self) { return length }
        return nil
    }

    public func workers() async throws -> [WorkerSummary] {
        try await workerSummaries("SELECT \(unescaped: Self.workerColumns) FROM workers w ORDER BY registered_at, id")
    }

    public func worker(id: String) async throws -> WorkerSummary? {
        try await workerSummaries("SELECT \(unescaped: Self.workerColumns) FROM workers w WHERE id = \(id)").first
    }

    private static let workerColumns = """
        id, queues, registered_at, last_seen_at,
        COALESCE((SELECT string_agg(t.id, ',' ORDER BY t.seq) FROM tasks t WHERE t.worker_id = w.id AND t.state = 'started'), '')
        """

    private func workerSummaries(_ query: PostgresQuery) async throws -> [WorkerSummary] {
        var summaries: [WorkerSummary] = []
        let rows = try await self.query(query)
        for (id, queues, registeredAt, lastSeenAt, held) in try rows.decode((String, String, Double, Double, String).self) {
            summaries.append(WorkerSummary(
                workerId: id, queues: try StoredText.queueList(from: queues),
                tasks: held.split(separator: ",").map(String.init), registeredAt: registeredAt, lastSeenAt: lastSeenAt))
        }
        return summaries
    }

    /// The server sends the page's rows that begin within `maxBytes`, and its second row in
    /// any case: `FailedQueuePage.cut` needs the first row past the bound to know the page
    /// ends early. Sizes are the server's (`octet_length` reads a stored text's size without
    /// reading the text), so that its choice of rows and the cut agree.
    public func failedTasks(offset: Int, limit: Int, maxBytes: Int, now: Double) async throws -> FailedQueuePage {
        var length = 0
        for count in try await query("SELECT count(*)::int8 FROM tasks WHERE state = 'failed'").decode(Int.self) { length = count }
        let rows = try await query("""
            SELECT \(unescaped: PostgresTaskRow.columns), bytes FROM (
                SELECT *, row_number() OVER newest_first AS position,
                    coalesce(sum(bytes) OVER (newest_first ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS bytes_before
                FROM (
                    SELECT *, (octet_length(data) + coalesce(octet_length(fail_reason), 0))::int8 AS bytes
                    FROM tasks WHERE state = 'failed'
                    ORDER BY finished_at DESC, seq DESC LIMIT \(limit) OFFSET \(offset)
                ) page
                WINDOW newest_first AS (ORDER BY finished_at DESC, seq DESC)
            ) sized
            WHERE position <= 2 OR bytes_before <= \(maxBytes)
            ORDER BY finished_at DESC, seq DESC
            """)
        var sized = try rows.map { row in
            (try PostgresTaskRow.decode(row, now: now), try row.makeRandomAccess()[PostgresTaskRow.columnCount].decode(Int.self))
        }.makeIterator()
        return FailedQueuePage.cut(length: length, offset: offset, maxBytes: maxBytes) { sized.next() }
    }
}
