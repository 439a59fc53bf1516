import CouchQueueModel
import CouchQueueStore
import PostgresNIO

extension PostgresStore {
    public func insertTasks(_ params: InsertTasksParams) async throws -> [PublishedTask] {
        if params.scope == .any && !params.singularlyEnqueue, !params.checksQueuesInterests { return try await insertInOneStatement(params) }
        let published = try await transaction { [self] connection in
            try await checkInterestsVersion(connection, params)
            try await lockQueues(connection, params)
            let dataKey = DataFingerprint.of(params.data)
            var published: [PublishedTask] = []
            let copies = try await copies(connection, params)
            if params.singularlyEnqueue, !copies.isEmpty {
                // Serialises twins across servers until commit, so two never both insert.
                try await connection.run("SELECT pg_advisory_xact_lock(\(dataKey))", logger: logger)
            }
            // Each queue's waiting twins, by owner, read once for all the copies in it.
            var waitingTwins: [String: [String?: (id: String, runAt: Double)]] = [:]
            for copy in copies {
                if params.singularlyEnqueue {
                    if waitingTwins[copy.queue] == nil {
                        waitingTwins[copy.queue] = try await waitingTwinsByOwner(connection, queue: copy.queue, data: params.data, dataKey: dataKey)
                    }
                    if let twin = waitingTwins[copy.queue]?[copy.owner] ?? nil {
                        let state = StoreRules.waitingState(runAt: twin.runAt, now: params.now)
                        published.append(PublishedTask(id: twin.id, queue: copy.queue, workerId: copy.owner, state: state, duplicate: true))
                        continue
                    }
                }
                let id = RandomID.make("t")
                try await connection.query("""
                    INSERT INTO tasks (id, publication_id, queue, owner_id, publisher, data, data_key, scope,
                        singularly_enqueue, singularly_run, state, run_at, created_at)
                    VALUES (\(id), \(params.publicationId), \(copy.queue), \(copy.owner), \(params.publisher), \(params.data),
                        \(dataKey), \(params.scope.rawValue), \(params.singularlyEnqueue), \(params.singularlyRun), 'queued',
                        \(params.runAt), \(params.now))
                    """, logger: logger)
                let state = StoreRules.waitingState(runAt: params.runAt, now: params.now)
                published.append(PublishedTask(id: id, queue: copy.queue, workerId: copy.owner, state: state, duplicate: false))
            }
            return published
        }
        let keys = Array(Set(published.filter { !$0.duplicate }.map { $0.workerId ?? $0.queue }))
        if !keys.isEmpty { announce(Self.arrival(keys, params)) }
        return published
    }

    /// The common publish (scope `any`, no twin to look for) as one statement, so one round
    /// trip: the version check, the queues' rows (as `lockQueues` takes them) and the copies
    /// commit together or not at all.
    private func insertInOneStatement(_ params: InsertTasksParams) async throws -> [PublishedTask] {
        let statement = CommonPublish(params: params, ids: params.queues.map { _ in RandomID.make("t") })
        let inserted = try await withConnection { [logger] connection in
            do {
                return try await connection.execute(statement, logger: logger).reduce(0, +)
            } catch let error as PSQLError where error.code == .server {
                // A connection keeps a failed preparation (a lock timeout, say) for good: a new
                // connection prepares afresh.
                try? await connection.close()
                throw error
            }
        }
        guard inserted == statement.ids.count else { throw StoreError.staleInterests(params.publicationId) }
        announce(Self.arrival(params.queues, params))
        let state = StoreRules.waitingState(runAt: params.runAt, now: params.now)
        return zip(statement.ids, params.queues).map { PublishedTask(id: $0, queue: $1, workerId: nil, state: state, duplicate: false) }
    }

    /// How other servers learn of new copies: available now, or due later.
    private static func arrival(_ keys: [String], _ params: InsertTasksParams) -> StoreChange {
        params.runAt > params.now ? .tasksDue(keys, at: params.runAt) : .tasksAvailable(keys)
    }

    private func checkInterestsVersion(_ connection: PostgresConnection, _ params: InsertTasksParams) async throws {
        guard case .routedAt(let expected) = params.routingCheck else { return }
        let rows = try await connection.query("SELECT version FROM couchqueue_interests_version", logger: logger)
        for try await version in rows.decode(Int64.self) where version != expected {
            throw StoreError.staleInterests(params.publicationId)
        }
    }

    /// Holds the rows of the queues published into `FOR KEY SHARE` until commit, or refuses the
    /// publish as stale if one is gone, or has other interests than `RoutingCheck.queuesHold`
    /// asks. `DELETE /queue` takes its row first, so it waits for a publish under way and
    /// then deletes its tasks, and a publish waiting for it finds no row. (The version alone, read from the statement's snapshot, let a publish racing a
    /// deletion insert after the deletion's snapshot.) Interest changes do not change the
    /// key, so they never wait for publishes, nor publishes for them.
    private func lockQueues(_ connection: PostgresConnection, _ params: InsertTasksParams) async throws {
        let queues = Set(params.queues)
        let rows = try await connection.query(
            "SELECT name, interests FROM queues WHERE name = ANY(\(queues.sorted())) ORDER BY name FOR KEY SHARE", logger: logger)
        var (found, interests) = (0, [String: String]())
        for try await (name, text) in rows.decode((String, String?).self) {
            found += 1
            interests[name] = text
        }
        let holds = if case .queuesHold(let routedWith) = params.routingCheck { interests == routedWith } else { found == queues.count }
        guard holds else { throw StoreError.staleInterests(params.publicationId) }
    }

    /// The workers' rows are taken `FOR KEY SHARE` until commit, as a lease takes them: a
    /// worker being deleted is waited for and then has no copy, and one deleted later finds
    /// its copies to delete. Read without the lock, a deletion could miss copies inserted
    /// after its snapshot, left for a worker that no longer exists.
    private func copies(_ connection: PostgresConnection, _ params: InsertTasksParams) async throws -> [(queue: String, owner: String?)] {
        guard params.scope == .all, !params.queues.isEmpty else { return StoreRules.copies(params, registrations: []) }
        var registrations: [StoreRules.Registration] = []
        let rows = try await connection.query("""
            SELECT r.worker_id, r.queue, r.position FROM worker_queues r JOIN workers w ON w.id = r.worker_id
            WHERE r.queue = ANY(\(params.queues)) ORDER BY w.id FOR KEY SHARE OF w
            """, logger: logger)
        for try await (worker, queue, position) in rows.decode((String, String, Int).self) {
            registrations.append(StoreRules.Registration(worker: worker, queue: queue, position: position))
        }
        return StoreRules.copies(params, registrations: registrations)
    }

    /// The oldest waiting twin of `data` in `queue` of each owner (nil: the queue's own), in
    /// one statement: a publish of scope `all` looks one up for each worker's copy, and a
    /// look-up per copy read the twins of every owner each time.
    private func waitingTwinsByOwner(
        _ connection: PostgresConnection, queue: String, data: String, dataKey: Int64
    ) async throws -> [String?: (id: String, runAt: Double)] {
        let rows = try await connection.query("""
            SELECT DISTINCT ON (owner_id) owner_id, id, run_at FROM tasks
            WHERE queue = \(queue) AND data_key = \(dataKey) AND state IN ('queued', 'started') AND state = 'queued'
                AND data = \(data)
            ORDER BY owner_id, seq
            """, logger: logger)
        var twins: [String?: (id: String, runAt: Double)] = [:]
        for try await (owner, id, runAt) in rows.decode((String?, String, Double).self) { twins[owner] = (id, runAt) }
        return twins
    }
}

extension InsertTasksParams {
    /// Whether the queues' interests are checked, which `CommonPublish` does not do.
    fileprivate var checksQueuesInterests: Bool {
        if case .queuesHold = routingCheck { true } else { false }
    }
}

/// `insertInOneStatement`'s statement, prepared once per connection: planning it cost
/// PostgreSQL about as much as running it (pgbench on one core: 1.1k publishes a second
/// unprepared, 2.1k prepared). Answers how many copies it inserted: all or none.
private struct CommonPublish: PostgresPreparedStatement {
    /// Under PostgreSQL's 63 bytes; a new version of `sql` takes a new name.
    static let name = "couchqueue_common_publish_v1"
    static let sql = """
        WITH target AS (SELECT name FROM queues WHERE name = ANY($1) FOR KEY SHARE),
        inserted AS (
            INSERT INTO tasks (id, publication_id, queue, publisher, data, data_key, scope,
                singularly_enqueue, singularly_run, state, run_at, created_at)
            SELECT copy.id, $3, copy.queue, $4, $5, $6, 'any', false, $7, 'queued', $8, $9
            FROM unnest($2, $1) AS copy(id, queue)
            WHERE ($10 IS NULL OR $10 = (SELECT version FROM couchqueue_interests_version))
                AND (SELECT count(*) FROM target) = $11
            RETURNING 1)
        SELECT count(*)::int8 FROM inserted
        """
    static let bindingDataTypes: [PostgresDataType] = [.textArray, .textArray, .text, .text, .text, .int8, .bool, .float8, .float8, .int8, .int8]

    let params: InsertTasksParams
    let ids: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: Self.bindingDataTypes.count)
        bindings.append(params.queues)
        bindings.append(ids)
        bindings.append(params.publicationId)
        bindings.append(params.publisher)
        bindings.append(params.data)
        bindings.append(DataFingerprint.of(params.data))
        bindings.append(params.singularlyRun)
        bindings.append(params.runAt)
        bindings.append(params.now)
        if case .routedAt(let version) = params.routingCheck { bindings.append(version) } else { bindings.append(Int64?.none) }
        bindings.append(Int64(Set(params.queues).count))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Int {
        try row.decode(Int.self)
    }
}
