import CouchQueueModel
import CouchQueueStore
import GRDB

/// The `singularly…` rules' look-ups, through `TwinRegistry`.
extension SQLiteStore {
    /// Fills `twins` with every queued or started task, read through the partial indexes that
    /// hold them: the cost follows the live tasks, not the finished ones kept for a while.
    static func loadLiveTasks(_ db: Database, into twins: TwinRegistry) throws {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT seq, queue, data_key FROM tasks INDEXED BY tasks_waiting WHERE state = 'queued' AND owner_id IS NULL
                UNION ALL
                SELECT seq, queue, data_key FROM tasks INDEXED BY tasks_owned WHERE state = 'queued' AND owner_id IS NOT NULL
                UNION ALL
                SELECT seq, queue, data_key FROM tasks INDEXED BY tasks_held WHERE state = 'started'
                """)
        try twins.load { register in
            while let row = try rows.next() { register(row[0], row[1], row[2]) }
        }
    }

    /// The oldest waiting twin of `data` in `queue` with this owner: its `id` and `run_at`.
    static func waitingTwin(
        _ db: Database, _ twins: TwinRegistry, queue: String, owner: String?, data: String, dataKey: Int64
    ) throws -> (id: String, runAt: Double)? {
        var found: (id: String, runAt: Double)?
        try forEachLiveTwin(db, twins, queue: queue, dataKey: dataKey, data: data) { twin in
            guard twin.state == TaskState.queued.rawValue, twin.owner == owner else { return true }
            found = (twin.id, twin.runAt)
            return false
        }
        return found
    }

    /// The oldest waiting twin of `data` in `queue` of each owner, found in one pass: a
    /// publish of scope `all` looks one up for each worker's copy, and looking for each in
    /// turn read the twins of every worker before it.
    static func waitingTwinsByOwner(
        _ db: Database, _ twins: TwinRegistry, queue: String, data: String, dataKey: Int64
    ) throws -> [String?: (id: String, runAt: Double)] {
        var found: [String?: (id: String, runAt: Double)] = [:]
        try forEachLiveTwin(db, twins, queue: queue, dataKey: dataKey, data: data) { twin in
            if twin.state == TaskState.queued.rawValue, found[twin.owner] == nil { found[twin.owner] = (twin.id, twin.runAt) }
            return true
        }
        return found
    }

    /// Whether a twin of `data` in `queue` is started, or is among `starting`: the tasks a
    /// lease has chosen so far, which it starts all at once.
    static func hasStartedTwin(
        _ db: Database, _ twins: TwinRegistry, queue: String, dataKey: Int64, data: String, starting: [Int64]
    ) throws -> Bool {
        var started = false
        try forEachLiveTwin(db, twins, queue: queue, dataKey: dataKey, data: data) { twin in
            started = twin.state == TaskState.started.rawValue || starting.contains(twin.seq)
            return !started
        }
        return started
    }

    /// A live task whose row holds the queue and data looked for.
    private struct LiveTwin {
        let seq: Int64
        let state: String
        let owner: String?
        let id: String
        let runAt: Double
    }

    /// Passes the live twins of `data` in `queue` to `body`, oldest first, while it answers
    /// true. Candidates whose row is gone or finished leave the registry as the batch commits;
    /// live rows of another queue or data under the same key are passed over.
    private static func forEachLiveTwin(
        _ db: Database, _ twins: TwinRegistry, queue: String, dataKey: Int64, data: String,
        _ body: (LiveTwin) -> Bool
    ) throws {
        let candidates = twins.candidates(queue: queue, dataKey: dataKey)
        guard !candidates.isEmpty else { return }  // most data has no twin
        let read = try db.cachedStatement(sql: """
            SELECT finished_at IS NULL, queue = ?2 AND data_key = ?3 AND data = ?4, state, owner_id, id, run_at
            FROM tasks WHERE seq = ?1
            """)
        for seq in candidates {
            let candidate =
                try ColumnCursor.first(read, arguments: seq, queue, dataKey, data) { row -> Candidate in
                    guard row[0] as Bool else { return .gone }
                    return row[1] ? .twin(LiveTwin(seq: seq, state: row[2], owner: row[3], id: row[4], runAt: row[5])) : .other
                } ?? .gone
            switch candidate {
            case .gone: twins.remove(seq: seq, queue: queue, dataKey: dataKey)
            case .other: continue
            case .twin(let twin): if !body(twin) { return }
            }
        }
    }

    private enum Candidate {
        /// No row, or a finished one.
        case gone
        /// Live, of another queue or data under the same key.
        case other
        case twin(LiveTwin)
    }
}

extension SQLiteStore {
    /// Runs `sql`, a `DELETE` of live tasks, and takes the deleted tasks out of `twins`;
    /// answers how many there were.
    @discardableResult
    static func deleteLiveTasks(_ db: Database, _ twins: TwinRegistry, sql: String, arguments: StatementArguments) throws -> Int {
        let deleted = try Row.fetchCursor(db.cachedStatement(sql: sql + " RETURNING seq, queue, data_key"), arguments: arguments)
        var count = 0
        while let row = try deleted.next() {
            twins.remove(seq: row[0], queue: row[1], dataKey: row[2])
            count += 1
        }
        return count
    }
}
