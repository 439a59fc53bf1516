import CouchQueueModel
import CouchQueueStore
import GRDB

extension SQLiteStore {
    public func insertTasks(_ params: InsertTasksParams) async throws -> [PublishedTask] {
        // One copy with no twin to look for is one `INSERT`.
        let single = params.scope == .any && params.queues.count == 1 && !params.singularlyEnqueue
        return try await writer.write(single ? .singleStatement : .savepoint) { [twins, workers, committedInterestsVersion, taskSequence] db in
            try Self.checkRouting(db, params, committedInterestsVersion)
            let dataKey = DataFingerprint.of(params.data)
            var published: [PublishedTask] = []
            let copies = try Self.copies(db, params)
            // Scope `all`: each queue's twins are read once for all the workers' copies.
            var waitingTwins: [String: [String?: (id: String, runAt: Double)]] = [:]
            for copy in copies {
                if params.singularlyEnqueue,
                    let twin = copies.count == 1
                        ? try Self.waitingTwin(db, twins, queue: copy.queue, owner: copy.owner, data: params.data, dataKey: dataKey)
                        : try Self.waitingTwin(of: copy, among: &waitingTwins, db, twins, data: params.data, dataKey: dataKey)
                {
                    let state = StoreRules.waitingState(runAt: twin.runAt, now: params.now)
                    published.append(PublishedTask(id: twin.id, queue: copy.queue, workerId: copy.owner, state: state, duplicate: true))
                    continue
                }
                if copy.owner != nil { workers.noteOwnCopy() }
                let seq = taskSequence.next()
                let id = TaskKey.id(seq: seq)
                try db.cachedStatement(sql: """
                    INSERT INTO tasks (seq, id, publication_id, queue, owner_id, publisher, data, data_key, scope,
                        singularly_enqueue, singularly_run, state, run_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)
                    """
                ).run(
                    seq, id, params.publicationId, copy.queue, copy.owner, params.publisher, params.data, dataKey,
                    params.scope.rawValue, params.singularlyEnqueue, params.singularlyRun, params.runAt, params.now)
                twins.add(seq: seq, queue: copy.queue, dataKey: dataKey)
                let state = StoreRules.waitingState(runAt: params.runAt, now: params.now)
                published.append(PublishedTask(id: id, queue: copy.queue, workerId: copy.owner, state: state, duplicate: false))
            }
            return published
        }
    }

    /// The oldest waiting twin of `copy` (its queue, its owner), from its queue's twins read
    /// once into `waitingTwins`.
    private static func waitingTwin(
        of copy: (queue: String, owner: String?), among waitingTwins: inout [String: [String?: (id: String, runAt: Double)]],
        _ db: Database, _ twins: TwinRegistry, data: String, dataKey: Int64
    ) throws -> (id: String, runAt: Double)? {
        if waitingTwins[copy.queue] == nil {
            waitingTwins[copy.queue] = try waitingTwinsByOwner(db, twins, queue: copy.queue, data: data, dataKey: dataKey)
        }
        return waitingTwins[copy.queue]?[copy.owner] ?? nil
    }

    /// Refuses a publish as `RoutingCheck` says (`staleInterests`), as the batch under way
    /// sees the interests. The version is read in memory, not from the file, where a subquery
    /// in each `INSERT` cost SQLite about twice the allocations of the insert itself.
    private static func checkRouting(_ db: Database, _ params: InsertTasksParams, _ version: CommittedInterestsVersion) throws {
        let holds = switch params.routingCheck {
        case nil: true
        case .routedAt(let routedWith): routedWith == version.inWriter
        case .queuesHold(let interests):
            try Self.storedInterests(db, of: Array(interests.keys)) == interests
        }
        if !holds { throw StoreError.staleInterests(params.publicationId) }
    }

    private static func storedInterests(_ db: Database, of queues: [String]) throws -> [String: String] {
        let rows = try Row.fetchAll(
            db, sql: "SELECT name, interests FROM queues WHERE name IN (\(databaseQuestionMarks(count: queues.count))) AND interests IS NOT NULL",
            arguments: StatementArguments(queues))
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0], $0[1]) })
    }

    private static func copies(_ db: Database, _ params: InsertTasksParams) throws -> [(queue: String, owner: String?)] {
        guard params.scope == .all, !params.queues.isEmpty else { return StoreRules.copies(params, registrations: []) }
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT worker_id, queue, position FROM worker_queues WHERE queue IN (\(databaseQuestionMarks(count: params.queues.count)))",
            arguments: StatementArguments(params.queues))
        return StoreRules.copies(params, registrations: rows.map { StoreRules.Registration(worker: $0[0], queue: $0[1], position: $0[2]) })
    }
}
