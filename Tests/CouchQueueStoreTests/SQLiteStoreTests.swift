import CouchQueueStore
@testable import CouchQueueStoreSQLite
import Foundation
import GRDB
import Testing

/// The conformance suite on the embedded store, each check on a fresh database file.
@Suite struct SQLiteStoreTests {
    @Test(arguments: StoreConformance.all)
    func conformance(_ check: StoreCheck) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("q.sqlite").path)
        do {
            try await check.run(store)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    @Test func committedTasksSurviveReopening() async throws {
        try await withScratchDatabase { path in
            let store = try SQLiteStore(path: path)
            let id = try await StoreFixture(store).publish(["a"])[0].id
            try await store.close()
            let reopened = try SQLiteStore(path: path)
            #expect(try await reopened.task(id: id, now: StoreFixture.t0)?.state == .queued)
            try await reopened.close()
        }
    }

    /// A clean close leaves the database file alone: the log is copied in and deleted, so a
    /// stopped server's file can be copied by itself.
    @Test func closingLeavesNoLogBehind() async throws {
        try await withScratchDatabase { path in
            let store = try SQLiteStore(path: path)
            let id = try await StoreFixture(store).publish(["a"])[0].id
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            try await store.close()
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
            let file = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
            #expect(try await file.read { db in try String.fetchOne(db, sql: "SELECT state FROM tasks WHERE id = ?", arguments: [id]) } == "queued")
            try file.close()
        }
    }

    /// The log is copied back into the database file in the background, long before it holds
    /// the 2,000 pages (8 MiB) at which the writer would checkpoint it itself (these few hundred
    /// kilobytes are far from that).
    @Test func theLogIsCheckpointedOffTheWriter() async throws {
        try await withScratchDatabase { path in
            func size(_ suffix: String) throws -> Int {
                try FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as! Int
            }
            let store = try SQLiteStore(path: path)
            let before = try size("")
            let data = #"{"text":"\#(String(repeating: "x", count: 2000))"}"#
            for _ in 0..<100 { _ = try await StoreFixture(store).publish(["a"], data: data) }
            var grown = false
            for _ in 0..<50 where !grown {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await StoreFixture(store).publish(["a"])  // a commit nudges the checkpointer
                grown = try size("") >= before + 100 * 2000
            }
            #expect(grown, "the database file holds the published tasks")
            try await store.close()
        }
    }

    /// A file written before migration 2 (twins indexed while queued or started) loses the
    /// index, and its waiting tasks are still found as twins: the store loads them as it opens.
    /// Its three indexes over started tasks become one (migration 5), and its tasks get the
    /// mark of a deleted queue (migration 6).
    @Test func aVersion1FileMigratesAndItsTwinsAreStillFound() async throws {
        try await withScratchDatabase { path in
            let store = try SQLiteStore(path: path)
            let waiting = try #require(try await StoreFixture(store).publish(["a"], data: #"{"x":1}"#).first)
            try await store.close()
            let file = try DatabaseQueue(path: path)
            try await file.write { db in
                try db.execute(sql: """
                    CREATE INDEX tasks_twins ON tasks(queue, data_key) WHERE state IN ('queued', 'started');
                    CREATE INDEX tasks_leases ON tasks(lease_expires_at) WHERE state = 'started';
                    CREATE INDEX tasks_started_by_queue ON tasks(queue) WHERE state = 'started';
                    DROP TABLE interests_version;
                    ALTER TABLE tasks DROP COLUMN queue_deleted;
                    DELETE FROM grdb_migrations WHERE identifier NOT LIKE 'v1:%';
                    """)
            }
            try file.close()

            let migrated = try SQLiteStore(path: path)
            let again = try #require(try await StoreFixture(migrated).publish(["a"], data: #"{"x":1}"#, singularlyEnqueue: true).first)
            #expect(again.duplicate && again.id == waiting.id)
            try await migrated.close()
            let indexes = try await DatabaseQueue(path: path).read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'tasks_%'")
            }
            #expect(
                Set(indexes) == [
                    "tasks_waiting", "tasks_owned", "tasks_held", "tasks_failed", "tasks_failed_by_queue", "tasks_succeeded", "tasks_legacy_ids",
                ])
        }
    }

    /// Ids given before migration 7 carry no `seq` (`TaskKey`): such a task, whether its id
    /// has the time in it (38 characters) or is only random (28, the first builds), is still
    /// found, leased, renewed, re-enqueued and finished by its id, while new tasks are found by
    /// the `seq` in theirs and only with the rest of the id. Only old ids are indexed.
    @Test(arguments: [RandomID.make("t"), "t_" + RandomID.make("t").suffix(26)])
    func tasksStoredBeforeVersion7AreStillFoundByTheirIds(legacyId: String) async throws {
        try await withScratchDatabase { path in
            let file = try DatabaseQueue(path: path)
            try SQLiteMigrations.migrator.migrate(file, upTo: "v6: started tasks of deleted queues marked")
            try await file.write { db in
                try db.execute(sql: "INSERT INTO queues (name, interests, created_at) VALUES ('a', NULL, ?)", arguments: [StoreFixture.t0])
                try db.execute(
                    sql: """
                        INSERT INTO tasks (id, publication_id, queue, publisher, data, data_key, scope, singularly_enqueue,
                            singularly_run, state, run_at, created_at)
                        VALUES (?, 'p_legacy', 'a', 'tests', '{}', 0, 'any', 0, 0, 'queued', ?, ?)
                        """,
                    arguments: [legacyId, StoreFixture.t0, StoreFixture.t0])
            }
            try file.close()

            let store = try SQLiteStore(path: path)
            let f = StoreFixture(store)
            #expect(try await f.state(legacyId) == .queued)
            let worker = try await f.worker(["a"])
            #expect(try await f.lease(worker)?.id == legacyId)
            let renewed = try await store.heartbeat(
                HeartbeatParams(workerId: worker, taskIds: [legacyId], now: StoreFixture.t0, leaseExpiresAt: StoreFixture.t0 + 120))
            #expect(renewed == [legacyId])
            #expect(try await store.task(id: legacyId, now: StoreFixture.t0)?.state == .started)
            #expect(try await f.finish(worker, legacyId, reEnqueue: true).state == .queued, "its queue is still there")
            #expect(try await f.lease(worker)?.id == legacyId)
            #expect(try await f.finish(worker, legacyId).state == .succeeded)

            let fresh = try #require(try await f.publish(["a"]).first).id
            #expect(fresh.count == TaskKey.idLength && fresh != legacyId)
            #expect(try await f.state(fresh) == .queued)
            let forged = String(fresh.dropLast()) + (fresh.last == "a" ? "b" : "a")
            #expect(try await store.task(id: forged, now: StoreFixture.t0) == nil, "its seq alone does not find a task")
            try await store.close()

            let (indexes, legacyEntries, plans) = try await DatabaseQueue(path: path).read { db in
                let lookup = TaskKey.Lookup { "SELECT data FROM tasks WHERE \($0)" }
                return (
                    try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks'"),
                    try String.fetchAll(db, sql: "SELECT id FROM tasks INDEXED BY tasks_legacy_ids WHERE length(id) <> \(TaskKey.idLength)"),
                    try [legacyId, fresh].map { (id: String) in
                        let finding = lookup.finding(id)
                        return try String.fetchAll(
                            db, sql: "EXPLAIN QUERY PLAN \(finding.sql)", arguments: [finding.seq, id], adapter: SuffixRowAdapter(fromIndex: 3))
                    }
                )
            }
            #expect(indexes.contains("tasks_legacy_ids") && !indexes.contains { $0.hasPrefix("sqlite_autoindex") })
            #expect(legacyEntries == [legacyId], "the new task's id is not indexed")
            #expect(plans == [["SEARCH tasks USING INDEX tasks_legacy_ids (id=?)"], ["SEARCH tasks USING INTEGER PRIMARY KEY (rowid=?)"]])
        }
    }

    /// Started tasks are loaded too: a `singularlyRun` twin of one still waits its turn after
    /// a restart.
    @Test func aStartedTwinStillHoldsItsTwinBackAfterReopening() async throws {
        try await withScratchDatabase { path in
            let store = try SQLiteStore(path: path)
            let (first, second, worker) = try await startedTwins(store)
            try await store.close()

            let reopened = try SQLiteStore(path: path)
            let g = StoreFixture(reopened)
            #expect(try await g.lease(worker) == nil, "its twin is still started")
            try await g.finish(worker, first)
            #expect(try await g.lease(worker)?.id == second)
            try await reopened.close()
        }
    }

    /// The registry follows the table: finished and deleted tasks leave it, and a report
    /// undone with its savepoint, or with its whole batch, leaves its task a twin.
    @Test func theTwinRegistryFollowsCommitsAndRollbacks() async throws {
        struct Failure: Error {}
        try await withScratchDatabase { path in
            let store = try SQLiteStore(path: path)
            let f = StoreFixture(store)
            let (first, second, worker) = try await startedTwins(store)
            let undone = FinishParams(workerId: worker, taskId: first, outcome: .success, failReason: nil, reEnqueue: false, attempt: nil, now: StoreFixture.t0)
            for need in [Savepoint.Need.savepoint, .refusalsBeforeWrites] {
                await #expect(throws: Failure.self) {
                    try await store.writer.write(need) { db in
                        _ = try store.finish(db, undone)
                        throw Failure()
                    }
                }
                #expect(try await f.lease(worker) == nil, "the report was undone: its task is still started")
                #expect(store.twins.count == 2)
            }

            try await f.finish(worker, first)
            #expect(try await f.lease(worker)?.id == second)
            try await f.finish(worker, second)
            try await f.publish(["a"])
            #expect(try await store.deleteQueue(queue: "a") == 1)
            #expect(store.twins.count == 0)
            try await store.close()
        }
    }

    /// Leases look for a worker's own copies (scope `all`) only once the store knows some may
    /// exist (`WorkerDirectory`): those in the file when it opens count, whether waiting or
    /// started (and waiting again once the lease runs out).
    @Test(arguments: [false, true])
    func ownCopiesStoredBeforeReopeningAreStillLeased(startedAtClose: Bool) async throws {
        try await withScratchDatabase { path in
            let store = try SQLiteStore(path: path)
            let f = StoreFixture(store)
            let worker = try await f.worker(["a"])
            let copy = try await f.publish(["a"], scope: .all)[0]
            #expect(copy.workerId == worker)
            if startedAtClose { #expect(try await f.lease(worker)?.id == copy.id) }
            try await store.close()

            let reopened = try SQLiteStore(path: path)
            let later = StoreFixture.t0 + StoreFixture.lease
            if startedAtClose { #expect(try await reopened.expireLeases(now: later) == 1) }
            #expect(try await StoreFixture(reopened).lease(worker, now: later)?.id == copy.id)
            try await reopened.close()
        }
    }

    /// An operation that may refuse only before it writes runs without a savepoint
    /// (`Savepoint.Need.refusalsBeforeWrites`): refusing, it fails alone; failing after a
    /// write, it fails its whole batch, which leaves nothing written.
    @Test(arguments: [false, true])
    func anOperationWithoutSavepointFailsAloneOnlyBeforeItWrites(afterAWrite: Bool) async throws {
        struct Refusal: Error {}
        try await withScratchDatabase { path in
            let store = try SQLiteStore(path: path)
            try await store.writer.write { db in try db.execute(sql: "CREATE TABLE probe (x)") }
            // Holds the writer, so that the next two writes wait and form the next batch together.
            let holding = Task { try await store.writer.write { _ in Thread.sleep(forTimeInterval: 0.3) } }
            try await Task.sleep(for: .milliseconds(100))
            let failing = Task {
                try await store.writer.write(.refusalsBeforeWrites) { db in
                    if afterAWrite { try db.cachedStatement(sql: "INSERT INTO probe VALUES (?)").run(1) }
                    throw Refusal()
                }
            }
            let other = Task {
                try await store.writer.write(.singleStatement) { db in try db.cachedStatement(sql: "INSERT INTO probe VALUES (?)").run(2) }
            }
            try await holding.value
            await #expect(throws: Refusal.self) { try await failing.value }
            if afterAWrite {
                await #expect(throws: Refusal.self) { try await other.value }
            } else {
                try await other.value
            }
            #expect(try await store.pool.read { db in try Int.fetchAll(db, sql: "SELECT x FROM probe") } == (afterAWrite ? [] : [2]))
            try await store.close()
        }
    }

    /// When SQLite rolls a batch's transaction back in the middle of a job (a full disk, an I/O
    /// error), the jobs after it must not write outside any transaction: the batch fails whole.
    /// The first job here rolls back by itself, as SQLite would; the second writes through
    /// `Statement.run`, which GRDB does not watch.
    @Test func aBatchWhoseTransactionSQLiteRolledBackFailsWhole() async throws {
        try await withScratchDatabase { path in
            let store = try SQLiteStore(path: path)
            try await store.writer.write { db in try db.execute(sql: "CREATE TABLE probe (x)") }
            // Holds the writer, so that the next two writes wait and form the next batch together.
            let holding = Task { try await store.writer.write { _ in Thread.sleep(forTimeInterval: 0.3) } }
            try await Task.sleep(for: .milliseconds(100))
            let rolledBack = Task { try await store.writer.write(.singleStatement) { db in try db.execute(sql: "ROLLBACK") } }
            let written = Task {
                try await store.writer.write(.singleStatement) { db in try db.cachedStatement(sql: "INSERT INTO probe VALUES (?)").run(1) }
            }
            try await holding.value
            await #expect(throws: (any Error).self) { try await rolledBack.value }
            await #expect(throws: (any Error).self) { try await written.value }
            #expect(try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM probe") } == 0)
            try await store.close()
        }
    }

    /// A second server on the same file would not see the first one's twins, interests or
    /// wake-ups: it is refused while the first has the file open.
    @Test func aFileHasOneServerAtATime() async throws {
        try await withScratchDatabase { path in
            let store = try SQLiteStore(path: path)
            #expect(throws: (any Error).self) { _ = try SQLiteStore(path: path) }
            try await store.close()
            let next = try SQLiteStore(path: path)
            try await next.close()
        }
    }

    /// A file the store cannot open (here its schema cannot be migrated) is let go: once the
    /// cause is removed, the next server opens it.
    @Test func aFailedOpenLetsTheFileGo() async throws {
        try await withScratchDatabase { path in
            let foreign = try DatabaseQueue(path: path)
            try await foreign.write { db in try db.execute(sql: "CREATE TABLE queues (x)") }
            try foreign.close()
            #expect(throws: (any Error).self) { _ = try SQLiteStore(path: path) }
            let repaired = try DatabaseQueue(path: path)
            try await repaired.write { db in try db.execute(sql: "DROP TABLE queues") }
            try repaired.close()
            let store = try SQLiteStore(path: path)
            try await store.close()
        }
    }

    /// Two `singularlyRun` twins in queue `a`, the first started by a worker.
    private func startedTwins(_ store: SQLiteStore) async throws -> (first: String, second: String, worker: String) {
        let f = StoreFixture(store)
        let first = try await f.publish(["a"], data: #"{"x":1}"#, singularlyRun: true)[0].id
        let second = try await f.publish(["a"], data: #"{"x":1}"#, singularlyRun: true)[0].id
        let worker = try await f.worker(["a"])
        #expect(try await f.lease(worker)?.id == first)
        return (first, second, worker)
    }
}

/// A database path in the temporary directory, removed with its log files once `body` ends.
private func withScratchDatabase(_ body: (String) async throws -> Void) async throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cq-\(UUID().uuidString).sqlite").path
    defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
    try await body(path)
}
