import GRDB

/// The schema, one named migration per version. Never edit a shipped migration: add one.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: queues, workers, tasks", migrate: v1)
        migrator.registerMigration("v2: twins indexed until finished", migrate: v2)
        migrator.registerMigration("v3: twins found in memory", migrate: v3)
        migrator.registerMigration("v4: interests versioned", migrate: v4)
        migrator.registerMigration("v5: one index over started tasks", migrate: v5)
        migrator.registerMigration("v6: started tasks of deleted queues marked", migrate: v6)
        migrator.registerMigration("v7: tasks found by the seq in their ids", migrate: v7)
        return migrator
    }

    /// Stored task states are `queued` (waiting; shown as `scheduled` while `run_at` is in the
    /// future), `started`, `succeeded` and `failed`. Every index that serves a hot path is
    /// partial, over the rows that path can touch, so finished rows piling up cost nothing.
    private static func v1(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE queues (
                name TEXT PRIMARY KEY NOT NULL,
                interests TEXT,
                created_at REAL NOT NULL
            ) WITHOUT ROWID;

            CREATE TABLE workers (
                id TEXT PRIMARY KEY NOT NULL,
                queues TEXT NOT NULL,
                registered_at REAL NOT NULL,
                last_seen_at REAL NOT NULL
            ) WITHOUT ROWID;
            CREATE INDEX workers_last_seen ON workers(last_seen_at);

            CREATE TABLE worker_queues (
                queue TEXT NOT NULL,
                worker_id TEXT NOT NULL,
                position INTEGER NOT NULL,
                PRIMARY KEY (queue, worker_id)
            ) WITHOUT ROWID;
            CREATE INDEX worker_queues_by_worker ON worker_queues(worker_id);

            CREATE TABLE tasks (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                publication_id TEXT NOT NULL,
                queue TEXT NOT NULL,
                owner_id TEXT,
                worker_id TEXT,
                publisher TEXT NOT NULL,
                data TEXT NOT NULL,
                data_key INTEGER NOT NULL,
                scope TEXT NOT NULL,
                singularly_enqueue INTEGER NOT NULL,
                singularly_run INTEGER NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                run_at REAL NOT NULL,
                created_at REAL NOT NULL,
                started_at REAL,
                finished_at REAL,
                lease_expires_at REAL,
                fail_reason TEXT
            );
            CREATE INDEX tasks_waiting ON tasks(queue, run_at, seq) WHERE state = 'queued' AND owner_id IS NULL;
            CREATE INDEX tasks_owned ON tasks(owner_id, run_at, seq) WHERE state = 'queued' AND owner_id IS NOT NULL;
            CREATE INDEX tasks_held ON tasks(worker_id) WHERE state = 'started';
            CREATE INDEX tasks_leases ON tasks(lease_expires_at) WHERE state = 'started';
            CREATE INDEX tasks_started_by_queue ON tasks(queue) WHERE state = 'started';
            CREATE INDEX tasks_twins ON tasks(queue, data_key) WHERE state IN ('queued', 'started');
            CREATE INDEX tasks_failed ON tasks(finished_at, seq) WHERE state = 'failed';
            CREATE INDEX tasks_failed_by_queue ON tasks(queue) WHERE state = 'failed';
            CREATE INDEX tasks_succeeded ON tasks(finished_at) WHERE state = 'succeeded';
            """)
    }

    /// The twins index covered `state IN ('queued', 'started')`: starting a task changes
    /// `state`, so SQLite took the entry out and put it back, and its key is a hash, so that
    /// dirtied a page at random for every lease. Its rows are the same as `finished_at IS NULL`
    /// (only a finish sets `finished_at`, and only to succeeded or failed), which a start
    /// does not touch. Queries name `finished_at IS NULL` for the planner to use it.
    private static func v2(_ db: Database) throws {
        try db.execute(sql: """
            DROP INDEX tasks_twins;
            CREATE INDEX tasks_live_twins ON tasks(queue, data_key) WHERE finished_at IS NULL;
            """)
    }

    /// Twins are found through `TwinRegistry`, in memory, loaded as the store opens: even
    /// after v2, the index put each publish and each finish on a page chosen at random.
    private static func v3(_ db: Database) throws {
        try db.execute(sql: "DROP INDEX tasks_live_twins")
    }

    /// Counts interest changes, as PostgreSQL's store does: a publish is stored only if the
    /// interests that routed it are still the latest (a queue deleted meanwhile gets nothing).
    private static func v4(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE interests_version (version INTEGER NOT NULL);
            INSERT INTO interests_version VALUES (0);
            """)
    }

    /// Three indexes covered the started tasks, so a lease added three entries and its finish
    /// took them out again. Started tasks are as many as the leases held, so the status's
    /// counts and the lease expiry read them all through the one by worker (`INDEXED BY
    /// tasks_held`), whose key a lease renewal does not change; the expiry only once a lease
    /// may have run out (`LeaseExpiryBound`). The store's threads spent about 6% less CPU per
    /// task drained one by one (beside the event loop's, which this does not touch).
    private static func v5(_ db: Database) throws {
        try db.execute(sql: """
            DROP INDEX tasks_leases;
            DROP INDEX tasks_started_by_queue;
            """)
    }

    /// `DELETE /queue` leaves its started tasks to their workers, never to go back: not even
    /// into a queue of the same name created before they finish, which the name alone cannot
    /// tell from the one deleted. The deletion marks them. Those started before this version
    /// whose queue is gone are still found by the queue's absence (`itsQueueIsGone`).
    private static func v6(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE tasks ADD COLUMN queue_deleted INTEGER NOT NULL DEFAULT 0")
    }

    /// New tasks' ids carry their `seq` and are found by it (`TaskKey`): the index that
    /// `UNIQUE` put on every id goes, which only rebuilding the table can do, and the ids
    /// given before keep an index of their own: none of them is as long as a new one. The rebuild
    /// copies every row once, as the first server of the new version opens the file: about
    /// 9 s for 1,000,000 waiting tasks on the benchmark's machine.
    private static func v7(_ db: Database) throws {
        let columns = """
            seq, id, publication_id, queue, owner_id, worker_id, publisher, data, data_key, scope, singularly_enqueue,
            singularly_run, state, attempts, run_at, created_at, started_at, finished_at, lease_expires_at, fail_reason,
            queue_deleted
            """
        try db.execute(sql: """
            CREATE TABLE tasks_by_seq (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL,
                publication_id TEXT NOT NULL,
                queue TEXT NOT NULL,
                owner_id TEXT,
                worker_id TEXT,
                publisher TEXT NOT NULL,
                data TEXT NOT NULL,
                data_key INTEGER NOT NULL,
                scope TEXT NOT NULL,
                singularly_enqueue INTEGER NOT NULL,
                singularly_run INTEGER NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                run_at REAL NOT NULL,
                created_at REAL NOT NULL,
                started_at REAL,
                finished_at REAL,
                lease_expires_at REAL,
                fail_reason TEXT,
                queue_deleted INTEGER NOT NULL DEFAULT 0
            );
            INSERT INTO tasks_by_seq (\(columns)) SELECT \(columns) FROM tasks;
            DROP TABLE tasks;
            ALTER TABLE tasks_by_seq RENAME TO tasks;
            CREATE INDEX tasks_waiting ON tasks(queue, run_at, seq) WHERE state = 'queued' AND owner_id IS NULL;
            CREATE INDEX tasks_owned ON tasks(owner_id, run_at, seq) WHERE state = 'queued' AND owner_id IS NOT NULL;
            CREATE INDEX tasks_held ON tasks(worker_id) WHERE state = 'started';
            CREATE INDEX tasks_failed ON tasks(finished_at, seq) WHERE state = 'failed';
            CREATE INDEX tasks_failed_by_queue ON tasks(queue) WHERE state = 'failed';
            CREATE INDEX tasks_succeeded ON tasks(finished_at) WHERE state = 'succeeded';
            CREATE UNIQUE INDEX tasks_legacy_ids ON tasks(id) WHERE length(id) <> \(TaskKey.idLength);
            """)
    }
}
