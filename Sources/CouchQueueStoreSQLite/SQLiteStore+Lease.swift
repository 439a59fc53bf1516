import CouchQueueModel
import CouchQueueStore
import GRDB

extension SQLiteStore {
    public func leaseTasks(_ params: LeaseParams) async throws -> [QueueTask] {
        // An unknown worker is refused before anything is written.
        try await writer.write(.refusalsBeforeWrites, durability: .logged) { [self] db in try lease(db, params) }
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
    /// statement: a lease of 50 costs two statements per source, not two per task. In the
    /// writer.
    func lease(_ db: Database, _ params: LeaseParams) throws -> [QueueTask] {
        let queues = try touchWorker(db, id: params.workerId, now: params.now)
        let sources = (workers.mayHaveOwnCopies ? [Self.ownCopies(of: params.workerId)] : []) + queues.map(Self.queue)
        var choice = LeaseChoice(limit: params.limit)
        for source in sources where !choice.isFull {
            try Self.choose(db, twins, from: source, now: params.now, into: &choice)
        }
        if !choice.chosen.isEmpty { leaseExpiryBound.lower(to: params.leaseExpiresAt) }
        return try Self.start(db, choice, params)
    }

    /// Starts the chosen tasks, answered in the order they were chosen, as read by `choose`
    /// and then started (`UPDATE … RETURNING` would gather them in a temporary table: see
    /// `finish`). One task is named directly: a JSON list costs SQLite a temporary table,
    /// worth it only for several.
    private static func start(_ db: Database, _ choice: LeaseChoice, _ params: LeaseParams) throws -> [QueueTask] {
        let seqs = choice.seqs
        guard !seqs.isEmpty else { return [] }
        if seqs.count == 1 {
            try db.cachedStatement(sql: startOne).run(params.workerId, params.now, params.leaseExpiresAt, seqs[0])
        } else {
            try db.cachedStatement(sql: startSeveral)
                .run(params.workerId, params.now, params.leaseExpiresAt, "[\(seqs.map(String.init).joined(separator: ","))]")
        }
        return choice.chosen.map { _, waiting in
            var task = waiting
            (task.state, task.workerId, task.attempts, task.startedAt) = (.started, params.workerId, task.attempts + 1, params.now)
            return task
        }
    }

    private static let startUpdate =
        "UPDATE tasks SET state = 'started', worker_id = ?1, attempts = attempts + 1, started_at = ?2, lease_expires_at = ?3"
    private static let startOne = "\(startUpdate) WHERE seq = ?4"
    private static let startSeveral = "\(startUpdate) WHERE seq IN (SELECT value FROM json_each(?4))"

    /// How far a worker's `last_seen_at` may lag behind its last call. A busy worker leases
    /// hundreds of times a second; rewriting its row each time would cost a write per lease.
    static let lastSeenResolution = 0.1

    /// Records a sign of life and answers the worker's queues, or throws `workerNotFound`. In
    /// the writer: the worker is read from the file only if `workers` does not know it.
    func touchWorker(_ db: Database, id: String, now: Double) throws -> [String] {
        var worker = try knownWorker(db, id: id)
        if now - worker.lastSeenWritten >= Self.lastSeenResolution {
            try db.cachedStatement(sql: "UPDATE workers SET last_seen_at = ? WHERE id = ?").run(now, id)
            worker.lastSeenWritten = now
        }
        workers[id] = worker
        return worker.queues
    }

    /// The worker as `workers` knows it, or as the file holds it; throws `workerNotFound`.
    /// Writes nothing. In the writer.
    func knownWorker(_ db: Database, id: String) throws -> WorkerDirectory.Worker {
        guard let worker = try workers[id] ?? Self.readWorker(db, id: id) else { throw StoreError.workerNotFound(id) }
        return worker
    }

    private static func readWorker(_ db: Database, id: String) throws -> WorkerDirectory.Worker? {
        let stored = try ColumnCursor.first(
            db.cachedStatement(sql: "SELECT queues, last_seen_at FROM workers WHERE id = ?"), arguments: id,
            read: { (queues: $0[0] as String, lastSeen: $0[1] as Double) })
        return try stored.map { WorkerDirectory.Worker(queues: try StoredText.queueList(from: $0.queues), lastSeenWritten: $0.lastSeen) }
    }

    /// Where a lease looks for due waiting tasks, oldest first.
    private struct Source {
        let sql: String
        let key: String
    }

    /// Whether the file holds copies of scope `all` not yet finished, as the store opens
    /// (`WorkerDirectory`): waiting, or started, which may wait again.
    static func holdsOwnCopies(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM tasks INDEXED BY tasks_owned WHERE state = 'queued' AND owner_id IS NOT NULL)
                OR EXISTS (SELECT 1 FROM tasks INDEXED BY tasks_held WHERE state = 'started' AND owner_id IS NOT NULL)
            """) ?? true
    }

    private static func ownCopies(of worker: String) -> Source {
        Source(sql: ownCopiesSQL, key: worker)
    }

    private static func queue(_ name: String) -> Source {
        Source(sql: queueSQL, key: name)
    }

    private static let ownCopiesSQL = """
        \(TaskRow.selectWithKeys)
        WHERE owner_id = ? AND state = 'queued' AND owner_id IS NOT NULL AND run_at <= ?
        ORDER BY run_at, seq
        """
    private static let queueSQL = """
        \(TaskRow.selectWithKeys)
        WHERE queue = ? AND state = 'queued' AND owner_id IS NULL AND run_at <= ?
        ORDER BY run_at, seq
        """

    /// Adds the due tasks of `source` to `choice`, oldest first, passing over `singularlyRun`
    /// ones whose twin (`singularlyRun` or not) is started or already chosen. The candidates
    /// are read through a cursor: usually only the rows taken are ever read. A twin found
    /// held back holds back the rest of its twins for the whole lease: they are passed over
    /// without being decoded or looked up again. Only those are remembered, so a lease that
    /// meets no held-back twin (nearly every one) reads and hashes nothing more.
    private static func choose(
        _ db: Database, _ twins: TwinRegistry, from source: Source, now: Double, into choice: inout LeaseChoice
    ) throws {
        let heldBack = choice.heldBack
        let candidates = try ColumnCursor(db.cachedStatement(sql: source.sql), arguments: source.key, now) { row -> LeaseCandidate in
            let keys = TaskRow.keys(row)
            if TaskRow.singularlyRun(row), !heldBack.isEmpty,
                heldBack.contains(queue: TaskRow.queue(row), dataKey: keys.dataKey, data: TaskRow.data(row))
            {
                return .heldBack
            }
            return .waiting(keys: keys, task: TaskRow.decode(row, now: now))
        }
        while !choice.isFull, let candidate = try candidates.next() {
            guard case .waiting(let keys, let task) = candidate else { continue }
            if task.singularlyRun,
                try hasStartedTwin(db, twins, queue: task.queue, dataKey: keys.dataKey, data: task.data.text, starting: choice.seqs)
            {
                heldBack.insert(queue: task.queue, dataKey: keys.dataKey, data: task.data.text)
                continue
            }
            choice.chosen.append((keys.seq, task))
        }
    }

    private enum LeaseCandidate {
        case waiting(keys: (seq: Int64, dataKey: Int64), task: QueueTask)
        /// A `singularlyRun` task whose twin this lease already found started or chose.
        case heldBack
    }
}

/// The tasks one lease has chosen so far, in the order they are handed out, as they waited.
private struct LeaseChoice {
    let limit: Int
    var chosen: [(seq: Int64, task: QueueTask)] = []
    /// The data, by queue and data key, of the tasks this lease found held back.
    let heldBack = HeldBackTwins()

    var seqs: [Int64] { chosen.map(\.seq) }
    var isFull: Bool { chosen.count >= limit }
}

/// Data whose `singularlyRun` twins a lease passes over: a task with it is started, or chosen
/// by this lease, as the look-up of one of them found. Without it, each held-back twin was
/// decoded and its twins' rows read in turn until the started one: behind a started twin
/// published last, quadratic (2,000 twins cost a lease about 10 s of the writer). A class:
/// the cursor's closure reads it while the loop, holding the lease's choice `inout`, adds to it.
private final class HeldBackTwins {
    private struct Key: Hashable {
        let queue: String
        let dataKey: Int64
    }

    private var data: [Key: Set<String>] = [:]

    var isEmpty: Bool { data.isEmpty }

    func contains(queue: String, dataKey: Int64, data text: String) -> Bool {
        data[Key(queue: queue, dataKey: dataKey)]?.contains(text) ?? false
    }

    func insert(queue: String, dataKey: Int64, data text: String) {
        data[Key(queue: queue, dataKey: dataKey), default: []].insert(text)
    }
}
