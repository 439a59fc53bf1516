import CouchQueueModel
import CouchQueueStore
import CouchQueueStorePostgres
import Logging
import PostgresNIO
import Testing

/// The conformance suite on PostgreSQL, each check on a database of its own. `scripts/test`
/// always starts the cluster, so there these tests run and never skip.
@Suite(
    .enabled(if: PostgresTestDatabase.serverURL != nil, "needs COUCHQUEUE_TEST_POSTGRES: run scripts/test"),
    .serialized)
struct PostgresStoreTests {
    @Test(arguments: StoreConformance.all)
    func conformance(_ check: StoreCheck) async throws {
        try await PostgresTestDatabase.withFreshStore { store in try await check.run(store) }
    }

    @Test func serversStartingTogetherMigrateOnce() async throws {
        try await PostgresTestDatabase.withFreshStore { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { try await store.migrate() } }
                try await group.waitForAll()
            }
            try await StoreFixture(store).interested("a")
        }
    }

    /// Migration 5 adds a column to `tasks`, whose row type the functions return. A session
    /// that ran them before (a server not yet upgraded, in a rolling upgrade) must still run
    /// them after: here, a connection that leased and reported, through all three functions,
    /// on the schema as it was before migration 5. (The rows are read: an error in a
    /// function's run comes with them.)
    @Test func sessionsOpenDuringMigration5StillRunTheFunctions() async throws {
        try await PostgresTestDatabase.withFreshStore { store in
            let logger = Logger(label: "tests")
            // Set up first: the store's own reads name the column.
            let fixture = StoreFixture(store)
            try await fixture.interested("a")
            let worker = try await fixture.worker(["a"])
            for _ in 0..<3 { try await fixture.publish(["a"]) }
            try await store.client.query("ALTER TABLE tasks DROP COLUMN queue_deleted", logger: logger)
            try await store.client.query("DELETE FROM couchqueue_migrations WHERE version = 5", logger: logger)
            let (now, expires) = (StoreFixture.t0, StoreFixture.t0 + StoreFixture.lease)
            try await store.client.withConnection { connection in
                /// The ids of what `query` answers.
                func ids(_ query: PostgresQuery) async throws -> [String] {
                    try await connection.query(query, logger: logger).collect().map { try $0.decode(String.self) }
                }
                /// Reports on `held` and takes the next task.
                func reportAndLease(_ held: String) async throws -> String {
                    let answered = try await ids("""
                        SELECT id FROM couchqueue_finish_then_lease(\(held), \(worker), NULL, 'succeeded', false, false, NULL, \(now), \(expires), 1)
                        """)
                    return try #require(answered.count == 2 ? answered[1] : nil)
                }
                let first = try #require(try await ids("SELECT id FROM couchqueue_lease(\(worker), \(now), \(expires), 1)").first)
                let second = try await reportAndLease(first)
                try await store.migrate()
                _ = try await reportAndLease(second)
            }
        }
    }

    /// A report with `next` and its worker's deletion, arranged to meet: the report waits for
    /// its task (held by another transaction) and the deletion begins meanwhile. Taking the task
    /// first and the worker second, the report then held the task while the deletion held the
    /// worker, each waiting for the other, until PostgreSQL failed one with a deadlock.
    @Test func aReportWithNextAndItsWorkersDeletionDoNotDeadlock() async throws {
        try await PostgresTestDatabase.withFreshStore { store in
            let fixture = StoreFixture(store)
            try await fixture.publish(["a"])
            try await fixture.publish(["a"])
            let worker = try await fixture.worker(["a"])
            let task = try #require(try await fixture.lease(worker))
            let logger = Logger(label: "tests")
            let (taskLocked, lockedSignal) = AsyncStream<Void>.makeStream()
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await store.client.withTransaction(logger: logger) { connection in
                        try await connection.query("SELECT 1 FROM tasks WHERE id = \(task.id) FOR UPDATE", logger: logger)
                        lockedSignal.yield()
                        for await _ in release { break }
                    }
                }
                for await _ in taskLocked { break }
                group.addTask { _ = try await fixture.finishThenLease(worker, task.id, limit: 1) }
                try await Self.waitForLockWaiters(1, store.client, logger)
                group.addTask { _ = try await store.deleteWorkers(.id(worker)) }
                try await Self.waitForLockWaiters(2, store.client, logger)
                releaseSignal.yield()
                try await group.waitForAll()
            }
            #expect(try await fixture.state(task.id) == .succeeded)
        }
    }

    /// A heartbeat meeting a lease expiry under way on another server: it waits for the
    /// expiry's lock on the task, and must then neither answer the task as held nor renew it.
    /// Answered from its read before the lock, it listed the task as renewed while another
    /// worker could already lease it.
    @Test func aHeartbeatDoesNotRenewATaskWhoseLeaseExpiresMeanwhile() async throws {
        try await PostgresTestDatabase.withFreshStore { store in
            let fixture = StoreFixture(store)
            try await fixture.publish(["a"])
            let worker = try await fixture.worker(["a"])
            let task = try #require(try await fixture.lease(worker))
            let logger = Logger(label: "tests")
            let (expiring, expiringSignal) = AsyncStream<Void>.makeStream()
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let held = try await withThrowingTaskGroup(of: [String]?.self) { group in
                group.addTask {
                    try await store.client.withTransaction(logger: logger) { connection in
                        try await connection.query(
                            "UPDATE tasks SET state = 'queued', worker_id = NULL, lease_expires_at = NULL WHERE id = \(task.id)",
                            logger: logger)
                        expiringSignal.yield()
                        for await _ in release { break }
                    }
                    return nil
                }
                for await _ in expiring { break }
                group.addTask {
                    try await store.heartbeat(HeartbeatParams(
                        workerId: worker, taskIds: nil, now: StoreFixture.t0 + 1, leaseExpiresAt: StoreFixture.t0 + 1 + StoreFixture.lease))
                }
                try await Self.waitForLockWaiters(1, store.client, logger)
                releaseSignal.yield()
                var held: [String]?
                for try await answer in group where answer != nil { held = answer }
                return held
            }
            #expect(held == [])
            #expect(try await fixture.state(task.id) == .queued)
            let other = try await fixture.worker(["a"])
            #expect(try await fixture.lease(other)?.id == task.id)
        }
    }

    /// A `singularlyRun` task behind a plain twin: while one worker's lease of the plain twin
    /// has not committed, another worker's lease cannot see it started, and must still not
    /// start the `singularlyRun` one (migration 7).
    @Test func aPlainTwinBeingStartedHoldsBackASingularlyRunOne() async throws {
        try await PostgresTestDatabase.withFreshStore { store in
            let fixture = StoreFixture(store)
            let plain = try await fixture.publish(["a"], data: #"{"x":1}"#)[0].id
            _ = try await fixture.publish(["a"], data: #"{"x":1}"#, singularlyRun: true)
            let (first, second) = (try await fixture.worker(["a"]), try await fixture.worker(["a"]))
            let logger = Logger(label: "tests")
            let (now, expires) = (StoreFixture.t0, StoreFixture.t0 + StoreFixture.lease)
            try await store.client.withTransaction(logger: logger) { connection in
                let taken = try await connection.query(
                    "SELECT id FROM couchqueue_lease(\(first), \(now), \(expires), 1)", logger: logger
                ).collect().map { try $0.decode(String.self) }
                #expect(taken == [plain])
                #expect(try await fixture.lease(second) == nil)
            }
            #expect(try await fixture.lease(second) == nil)
        }
    }

    /// A lease that passes over `singularlyRun` tasks whose twins are started holds no advisory
    /// lock for them until it commits (migration 9): one per twin could fill the lock table.
    @Test func aLeaseHoldsNoLockForTheHeldBackTasksItPassesOver() async throws {
        try await PostgresTestDatabase.withFreshStore { store in
            let fixture = StoreFixture(store)
            let twins = 40
            for key in 0..<twins { _ = try await fixture.publish(["a"], data: #"{"x":\#(key)}"#, singularlyRun: true) }
            #expect(try await fixture.lease(try await fixture.worker(["a"]), limit: twins).count == twins)
            for key in 0..<twins { _ = try await fixture.publish(["a"], data: #"{"x":\#(key)}"#, singularlyRun: true) }
            let second = try await fixture.worker(["a"])
            let logger = Logger(label: "tests")
            let (now, expires) = (StoreFixture.t0, StoreFixture.t0 + StoreFixture.lease)
            try await store.client.withTransaction(logger: logger) { connection in
                let taken = try await connection.query(
                    "SELECT id FROM couchqueue_lease(\(second), \(now), \(expires), 1)", logger: logger
                ).collect()
                #expect(taken.isEmpty)
                let locks = try await connection.query(
                    "SELECT count(*)::int8 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()", logger: logger
                ).collect().map { try $0.decode(Int.self) }
                #expect(locks == [0])
            }
        }
    }

    /// Leases that run out together go back in one pass, beyond one transaction's batch of
    /// 1,000: at one batch a pass, a mass expiry took a second for every 4,000 tasks.
    @Test func aMassExpiryGoesBackInOnePass() async throws {
        try await PostgresTestDatabase.withFreshStore { store in
            let fixture = StoreFixture(store)
            let tasks = 1_200
            try await withThrowingDiscardingTaskGroup { group in
                for _ in 0..<8 { group.addTask { for _ in 0..<(tasks / 8) { try await fixture.publish(["a"]) } } }
            }
            let worker = try await fixture.worker(["a"])
            for _ in 0..<(tasks / 100) { _ = try await fixture.lease(worker, limit: 100) }
            #expect(try await store.expireLeases(now: StoreFixture.t0 + StoreFixture.lease) == tasks)
            #expect(try await store.queueSummary(name: "a", now: StoreFixture.t0)?.length == tasks)
        }
    }

    /// The lease's locking relies on `READ COMMITTED`: a database whose default is stricter
    /// still gets it on every connection of the store's.
    @Test func connectionsReadCommittedWhateverTheDatabasesDefault() async throws {
        try await PostgresTestDatabase.withFreshStore { store in
            let logger = Logger(label: "tests")
            var location = try PostgresLocation(url: try #require(PostgresTestDatabase.serverURL))
            for try await name in try await store.client.query("SELECT current_database()", logger: logger).decode(String.self) {
                location.database = name
            }
            try await store.client.query("ALTER DATABASE \(unescaped: location.database) SET default_transaction_isolation = 'serializable'", logger: logger)
            let opened = try PostgresStore(location: location, poolSize: 1, logger: logger)
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await opened.client.run() }
                defer { group.cancelAll() }
                let level = try await opened.client.query("SHOW transaction_isolation", logger: logger).collect().first?.decode(String.self)
                #expect(level == "read committed")
            }
        }
    }

    /// Waits until `count` sessions of this database wait for a lock.
    private static func waitForLockWaiters(_ count: Int, _ client: PostgresClient, _ logger: Logger) async throws {
        for _ in 0..<500 {
            let rows = try await client.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                logger: logger)
            for try await waiting in rows.decode(Int.self) where waiting >= count { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("\(count) sessions never waited for a lock")
    }
}
