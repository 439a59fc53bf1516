import Logging
import PostgresNIO

/// The schema, one numbered migration per version, applied under an advisory lock so that
/// servers starting at the same moment apply each migration exactly once.
enum PostgresMigrations {
    /// An arbitrary constant naming CouchQueue's migration lock.
    private static let lockKey: Int64 = 0x436F_7563_6851_7565

    static let all: [(version: Int, sql: [String])] = [(1, v1), (2, v2), (3, v3), (4, v4), (5, v5), (6, v6), (7, v7), (8, v8), (9, v9)]

    /// Tries again, a second later, each time a table stays locked past `lockPatience`.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        while true {
            do {
                return try await migrateOnce(client, logger: logger)
            } catch let error as PostgresTransactionError
                where PostgresStore.sqlState(of: error.closureError) == "55P03" && error.rollbackError == nil
            {
                logger.warning("a migration waits for a table that a transaction holds; trying again")
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// How long a migration waits for a table's lock at a time. Every statement on the table
    /// queues behind a lock that a migration waits for, so it gives up after this and tries
    /// again, letting the servers' statements through in between.
    private static let lockPatience = "5s"

    private static func migrateOnce(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            // Another server's migrations, and a migration's own work, may take longer than the
            // statements of requests may (`PostgresStore.serverSideLimits`).
            try await connection.query("SET LOCAL statement_timeout = 0", logger: logger)
            try await connection.run("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("SET LOCAL lock_timeout = '\(unescaped: lockPatience)'", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS couchqueue_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM couchqueue_migrations", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            for migration in all where !applied.contains(migration.version) {
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO couchqueue_migrations (version) VALUES (\(migration.version))", logger: logger)
                logger.info("applied migration", metadata: ["couchqueue.migration": "\(migration.version)"])
            }
        }
    }

    /// Same tables as the SQLite store. Hot-path indexes are partial over the rows their
    /// path touches, so finished rows piling up cost nothing; autovacuum settings for the
    /// queue table are in the deployment guide.
    private static let v1 = [
        "CREATE TABLE queues (name TEXT PRIMARY KEY, interests TEXT, created_at DOUBLE PRECISION NOT NULL)",
        "CREATE TABLE couchqueue_interests_version (version BIGINT NOT NULL)",
        "INSERT INTO couchqueue_interests_version VALUES (0)",
        """
        CREATE TABLE workers (id TEXT PRIMARY KEY, queues TEXT NOT NULL,
            registered_at DOUBLE PRECISION NOT NULL, last_seen_at DOUBLE PRECISION NOT NULL)
        """,
        "CREATE INDEX workers_last_seen ON workers (last_seen_at)",
        """
        CREATE TABLE worker_queues (queue TEXT NOT NULL, worker_id TEXT NOT NULL, position INT NOT NULL,
            PRIMARY KEY (queue, worker_id))
        """,
        "CREATE INDEX worker_queues_by_worker ON worker_queues (worker_id)",
        """
        CREATE TABLE tasks (
            seq BIGSERIAL PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            publication_id TEXT NOT NULL,
            queue TEXT NOT NULL,
            owner_id TEXT,
            worker_id TEXT,
            publisher TEXT NOT NULL,
            data TEXT NOT NULL,
            data_key BIGINT NOT NULL,
            scope TEXT NOT NULL,
            singularly_enqueue BOOLEAN NOT NULL,
            singularly_run BOOLEAN NOT NULL,
            state TEXT NOT NULL,
            attempts INT NOT NULL DEFAULT 0,
            run_at DOUBLE PRECISION NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            started_at DOUBLE PRECISION,
            finished_at DOUBLE PRECISION,
            lease_expires_at DOUBLE PRECISION,
            fail_reason TEXT)
        """,
        "CREATE INDEX tasks_waiting ON tasks (queue, run_at, seq) WHERE state = 'queued' AND owner_id IS NULL",
        "CREATE INDEX tasks_owned ON tasks (owner_id, run_at, seq) WHERE state = 'queued' AND owner_id IS NOT NULL",
        "CREATE INDEX tasks_held ON tasks (worker_id) WHERE state = 'started'",
        "CREATE INDEX tasks_leases ON tasks (lease_expires_at) WHERE state = 'started'",
        "CREATE INDEX tasks_started_by_queue ON tasks (queue) WHERE state = 'started'",
        "CREATE INDEX tasks_twins ON tasks (queue, data_key) WHERE state IN ('queued', 'started')",
        "CREATE INDEX tasks_failed ON tasks (finished_at, seq) WHERE state = 'failed'",
        "CREATE INDEX tasks_failed_by_queue ON tasks (queue) WHERE state = 'failed'",
        "CREATE INDEX tasks_succeeded ON tasks (finished_at) WHERE state = 'succeeded'",
    ]

    /// A lease as one server-side function: one round trip and cached plans, where the lease
    /// written out in the server took a statement per step (touch the worker, look in each
    /// source, lock a twin slot, take the row), each parsed and planned anew.
    ///
    /// Sources are the worker's own copies, then its queues in priority order; in each, the
    /// oldest due task that no other transaction holds locked. A `singularlyRun` candidate
    /// also takes a transaction-scoped advisory lock on its data key, so two servers never
    /// start twins at once, and is held back (skipped) while a twin is started. An unknown
    /// worker raises SQLSTATE `CQ404`.
    private static let v2 = [
        """
        CREATE FUNCTION couchqueue_lease(p_worker TEXT, p_now DOUBLE PRECISION, p_expires DOUBLE PRECISION, p_limit BIGINT)
        RETURNS SETOF tasks LANGUAGE plpgsql AS $$
        DECLARE
            v_queues TEXT;
            v_last_seen DOUBLE PRECISION;
            v_sources TEXT[];
            v_source INT;
            v_held_back INT;
            v_left BIGINT := p_limit;
            v_candidate RECORD;
            v_task tasks;
        BEGIN
            -- Held until commit: a worker being deleted (its row locked first) waits for this
            -- lease to commit, then returns what it took; or this lease waits and finds no worker.
            SELECT queues, last_seen_at INTO v_queues, v_last_seen FROM workers WHERE id = p_worker FOR KEY SHARE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'worker % not found', p_worker USING ERRCODE = 'CQ404';
            END IF;
            -- A busy worker leases many times a second: its sign of life is rewritten at most
            -- every 0.1 s, not at every lease (a row version and WAL record each time).
            IF p_now - v_last_seen >= 0.1 THEN
                UPDATE workers SET last_seen_at = p_now WHERE id = p_worker;
            END IF;
            v_sources := ARRAY(SELECT q FROM json_array_elements_text(v_queues::json) WITH ORDINALITY AS e(q, n) ORDER BY n);
            FOR v_source IN 0 .. coalesce(array_length(v_sources, 1), 0) LOOP
                v_held_back := 0;
                WHILE v_left > 0 LOOP
                    IF v_source = 0 THEN
                        SELECT seq, queue, singularly_run, data_key, data INTO v_candidate FROM tasks
                        WHERE owner_id = p_worker AND state = 'queued' AND owner_id IS NOT NULL AND run_at <= p_now
                        ORDER BY run_at, seq LIMIT 1 OFFSET v_held_back FOR UPDATE SKIP LOCKED;
                    ELSE
                        SELECT seq, queue, singularly_run, data_key, data INTO v_candidate FROM tasks
                        WHERE queue = v_sources[v_source] AND state = 'queued' AND owner_id IS NULL AND run_at <= p_now
                        ORDER BY run_at, seq LIMIT 1 OFFSET v_held_back FOR UPDATE SKIP LOCKED;
                    END IF;
                    EXIT WHEN NOT FOUND;
                    -- Two statements, in this order: the second's snapshot is taken after the lock
                    -- is held, so it sees a twin that a concurrent lease started and committed
                    -- before letting the lock go. (In one expression the snapshot came first.)
                    IF v_candidate.singularly_run THEN
                        IF NOT pg_try_advisory_xact_lock(v_candidate.data_key) THEN
                            v_held_back := v_held_back + 1;
                            CONTINUE;
                        END IF;
                        IF EXISTS (SELECT 1 FROM tasks WHERE queue = v_candidate.queue AND data_key = v_candidate.data_key
                            AND state IN ('queued', 'started') AND state = 'started' AND data = v_candidate.data)
                        THEN
                            v_held_back := v_held_back + 1;
                            CONTINUE;
                        END IF;
                    END IF;
                    UPDATE tasks SET state = 'started', worker_id = p_worker, attempts = attempts + 1,
                        started_at = p_now, lease_expires_at = p_expires
                    WHERE seq = v_candidate.seq RETURNING * INTO v_task;
                    RETURN NEXT v_task;
                    v_left := v_left - 1;
                END LOOP;
            END LOOP;
        END
        $$
        """,
    ]

    /// A report and, with `p_limit` above 0, the worker's next lease, in one statement and so
    /// one round trip (a report in a transaction of its own took four: `BEGIN`, the report,
    /// the lease, `COMMIT`). The finished row comes first. A refused report returns no row
    /// and leases nothing; the caller then looks up why.
    private static let v3 = [
        """
        CREATE FUNCTION couchqueue_finish_then_lease(
            p_task TEXT, p_worker TEXT, p_attempt BIGINT, p_state TEXT, p_re_enqueue BOOLEAN,
            p_keeps_reason BOOLEAN, p_reason TEXT, p_now DOUBLE PRECISION, p_expires DOUBLE PRECISION, p_limit BIGINT)
        RETURNS SETOF tasks LANGUAGE plpgsql AS $$
        DECLARE
            v_task tasks;
        BEGIN
            UPDATE tasks SET state = p_state, lease_expires_at = NULL,
                worker_id = CASE WHEN p_re_enqueue THEN NULL ELSE worker_id END,
                run_at = CASE WHEN p_re_enqueue THEN p_now ELSE run_at END,
                finished_at = CASE WHEN p_re_enqueue THEN finished_at ELSE p_now END,
                fail_reason = CASE WHEN p_keeps_reason THEN fail_reason ELSE p_reason END
            WHERE id = p_task AND state = 'started' AND worker_id = p_worker AND (p_attempt IS NULL OR attempts = p_attempt)
            RETURNING * INTO v_task;
            IF NOT FOUND THEN
                RETURN;
            END IF;
            RETURN NEXT v_task;
            IF p_limit > 0 THEN
                RETURN QUERY SELECT * FROM couchqueue_lease(p_worker, p_now, p_expires, p_limit);
            END IF;
        END
        $$
        """,
    ]

    /// `couchqueue_finish_then_lease` takes the worker's row before the task's when it also
    /// leases, the order `DELETE /worker` takes them in. A report holding its task and waiting
    /// for the worker's row (in `couchqueue_lease`) could meet a deletion holding the worker's
    /// row and waiting for the task; PostgreSQL then failed one of them. A plain report takes
    /// no worker row, so it needs no lock. v3's function keeps its body under a new name, and
    /// the old name now locks first and calls it: servers not yet upgraded call it too.
    private static let v4 = [
        """
        ALTER FUNCTION couchqueue_finish_then_lease(TEXT, TEXT, BIGINT, TEXT, BOOLEAN, BOOLEAN, TEXT,
            DOUBLE PRECISION, DOUBLE PRECISION, BIGINT) RENAME TO couchqueue_record_then_lease
        """,
        """
        CREATE FUNCTION couchqueue_finish_then_lease(
            p_task TEXT, p_worker TEXT, p_attempt BIGINT, p_state TEXT, p_re_enqueue BOOLEAN,
            p_keeps_reason BOOLEAN, p_reason TEXT, p_now DOUBLE PRECISION, p_expires DOUBLE PRECISION, p_limit BIGINT)
        RETURNS SETOF tasks LANGUAGE plpgsql AS $$
        BEGIN
            IF p_limit > 0 THEN
                PERFORM 1 FROM workers WHERE id = p_worker FOR KEY SHARE;
            END IF;
            RETURN QUERY SELECT * FROM couchqueue_record_then_lease(
                p_task, p_worker, p_attempt, p_state, p_re_enqueue, p_keeps_reason, p_reason, p_now, p_expires, p_limit);
        END
        $$
        """,
    ]

    /// `DELETE /queue` marks its started tasks, so that none goes back into a queue of the same
    /// name created before it finishes (SQLite's v6). Adding a column with a constant default
    /// rewrites no row; servers not yet upgraded name the columns they read. But a session
    /// keeps its functions compiled, with `tasks` as it was: their `SELECT *` of 20 columns
    /// then no longer matched the 21 of `SETOF tasks`, and every report with `next` of a
    /// server not yet upgraded failed. Altering the functions (to the cost they have) makes
    /// every session compile them afresh and plan again the statements that call them.
    private static let v5 = [
        "ALTER TABLE tasks ADD COLUMN queue_deleted BOOLEAN NOT NULL DEFAULT false",
        "ALTER FUNCTION couchqueue_lease(TEXT, DOUBLE PRECISION, DOUBLE PRECISION, BIGINT) COST 100",
    ] + ["couchqueue_record_then_lease", "couchqueue_finish_then_lease"].map { name in
        "ALTER FUNCTION \(name)(TEXT, TEXT, BIGINT, TEXT, BOOLEAN, BOOLEAN, TEXT, DOUBLE PRECISION, DOUBLE PRECISION, BIGINT) COST 100"
    }

    /// A report is a sign of life: a worker reaped as soon as it had finished its only task
    /// could not take the next. `couchqueue_report_then_lease` is `couchqueue_finish_then_lease`
    /// that also rewrites the worker's `last_seen_at` after a plain report (at most every
    /// 0.1 s, as a lease does), in a heartbeat's order: the worker's row locked shared first,
    /// so that a deletion holding it is waited for before the task is taken, and rewritten
    /// last, after the task. With `p_limit` above 0 the lease records it. A new name, so that
    /// servers not yet upgraded, whose batches call the old one once per report, never rewrite
    /// the row between two reports' tasks: that could wait for a heartbeat waiting for the
    /// second task. A batch calls `couchqueue_record_then_lease` and rewrites the row once,
    /// after all its tasks.
    private static let v6 = [
        """
        CREATE FUNCTION couchqueue_report_then_lease(
            p_task TEXT, p_worker TEXT, p_attempt BIGINT, p_state TEXT, p_re_enqueue BOOLEAN,
            p_keeps_reason BOOLEAN, p_reason TEXT, p_now DOUBLE PRECISION, p_expires DOUBLE PRECISION, p_limit BIGINT)
        RETURNS SETOF tasks LANGUAGE plpgsql COST 100 AS $$
        BEGIN
            PERFORM 1 FROM workers WHERE id = p_worker FOR KEY SHARE;
            RETURN QUERY SELECT * FROM couchqueue_record_then_lease(
                p_task, p_worker, p_attempt, p_state, p_re_enqueue, p_keeps_reason, p_reason, p_now, p_expires, p_limit);
            IF p_limit = 0 THEN
                UPDATE workers SET last_seen_at = p_now WHERE id = p_worker AND last_seen_at <= p_now - 0.1;
            END IF;
        END
        $$
        """,
    ]

    /// `couchqueue_lease` reads each source once, through a cursor, and claims each candidate
    /// it takes by its key (`FOR UPDATE SKIP LOCKED` again, so one started or taken meanwhile
    /// is passed over). It read the source again for each candidate, past those held back
    /// (`OFFSET`), locking each of them: behind 2,000 `singularlyRun` twins of a started task a
    /// lease took 1.8 s, growing with the square of their number. Twins found held back (one
    /// queue, one data key) are now remembered, and their other candidates passed over unread.
    ///
    /// A plain candidate also takes its twins' advisory lock, shared, or is passed over: a
    /// `singularlyRun` twin's lease (which takes it exclusively) running at the same moment
    /// cannot see the plain twin started before this lease commits, and both ran at once. The
    /// lock's key is the queue's and the data's (the data's alone, which a publish of the same
    /// data with `singularlyEnqueue` locks, is no longer taken by leases): every server's
    /// leases run this function, so they all take the same one.
    private static let v7 = [
        """
        CREATE OR REPLACE FUNCTION couchqueue_lease(p_worker TEXT, p_now DOUBLE PRECISION, p_expires DOUBLE PRECISION, p_limit BIGINT)
        RETURNS SETOF tasks LANGUAGE plpgsql COST 100 AS $$
        DECLARE
            v_queues TEXT;
            v_last_seen DOUBLE PRECISION;
            v_sources TEXT[];
            v_source INT;
            v_held_back BIGINT[] := '{}';
            v_twins BIGINT;
            v_left BIGINT := p_limit;
            v_candidates REFCURSOR;
            v_candidate RECORD;
            v_task tasks;
        BEGIN
            -- Held until commit: a worker being deleted (its row locked first) waits for this
            -- lease to commit, then returns what it took; or this lease waits and finds no worker.
            SELECT queues, last_seen_at INTO v_queues, v_last_seen FROM workers WHERE id = p_worker FOR KEY SHARE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'worker % not found', p_worker USING ERRCODE = 'CQ404';
            END IF;
            -- A busy worker leases many times a second: its sign of life is rewritten at most
            -- every 0.1 s, not at every lease (a row version and WAL record each time).
            IF p_now - v_last_seen >= 0.1 THEN
                UPDATE workers SET last_seen_at = p_now WHERE id = p_worker;
            END IF;
            v_sources := ARRAY(SELECT q FROM json_array_elements_text(v_queues::json) WITH ORDINALITY AS e(q, n) ORDER BY n);
            FOR v_source IN 0 .. coalesce(array_length(v_sources, 1), 0) LOOP
                EXIT WHEN v_left <= 0;
                IF v_source = 0 THEN
                    OPEN v_candidates NO SCROLL FOR SELECT seq, queue, singularly_run, data_key, data FROM tasks
                    WHERE owner_id = p_worker AND state = 'queued' AND owner_id IS NOT NULL AND run_at <= p_now
                    ORDER BY run_at, seq;
                ELSE
                    OPEN v_candidates NO SCROLL FOR SELECT seq, queue, singularly_run, data_key, data FROM tasks
                    WHERE queue = v_sources[v_source] AND state = 'queued' AND owner_id IS NULL AND run_at <= p_now
                    ORDER BY run_at, seq;
                END IF;
                WHILE v_left > 0 LOOP
                    FETCH v_candidates INTO v_candidate;
                    EXIT WHEN NOT FOUND;
                    -- One key for the candidate's twins: its queue and its data.
                    v_twins := hashtextextended(v_candidate.queue, v_candidate.data_key);
                    CONTINUE WHEN v_candidate.singularly_run AND v_twins = ANY(v_held_back);
                    PERFORM 1 FROM tasks WHERE seq = v_candidate.seq AND state = 'queued' FOR UPDATE SKIP LOCKED;
                    CONTINUE WHEN NOT FOUND;
                    IF v_candidate.singularly_run THEN
                        -- Two statements, in this order: the second's snapshot is taken after the
                        -- lock is held, so it sees a twin that a concurrent lease started and
                        -- committed before letting the lock go. (In one expression the snapshot
                        -- came first.)
                        IF NOT pg_try_advisory_xact_lock(v_twins) THEN
                            v_held_back := v_held_back || v_twins;
                            CONTINUE;
                        END IF;
                        \(heldBackWhileATwinIsStarted)
                    ELSIF NOT pg_try_advisory_xact_lock_shared(v_twins) THEN
                        CONTINUE;
                    END IF;
                    UPDATE tasks SET state = 'started', worker_id = p_worker, attempts = attempts + 1,
                        started_at = p_now, lease_expires_at = p_expires
                    WHERE seq = v_candidate.seq RETURNING * INTO v_task;
                    RETURN NEXT v_task;
                    v_left := v_left - 1;
                END LOOP;
                CLOSE v_candidates;
            END LOOP;
        END
        $$
        """,
    ]

    /// `couchqueue_lease` locks its candidates as its cursor reads them (`FOR UPDATE SKIP
    /// LOCKED` in the cursor), as a plain SKIP LOCKED queue does, instead of reading a candidate
    /// and then locking it in a statement of its own. Under load another worker had often taken
    /// the candidate in between: with three servers and 48 workers draining one queue on one
    /// core, leases starved of CPU lost that race candidate after candidate, for seconds, until
    /// one ran past the operation timeout and was answered `503`; the reports of tasks they had
    /// tried waited for them meanwhile. A held-back `singularlyRun` twin the cursor reads now
    /// stays locked until the lease commits; other leases pass it over, as they would anyway.
    private static let v8 = [
        """
        CREATE OR REPLACE FUNCTION couchqueue_lease(p_worker TEXT, p_now DOUBLE PRECISION, p_expires DOUBLE PRECISION, p_limit BIGINT)
        RETURNS SETOF tasks LANGUAGE plpgsql COST 100 AS $$
        DECLARE
            v_queues TEXT;
            v_last_seen DOUBLE PRECISION;
            v_sources TEXT[];
            v_source INT;
            v_held_back BIGINT[] := '{}';
            v_twins BIGINT;
            v_left BIGINT := p_limit;
            v_candidates REFCURSOR;
            v_candidate RECORD;
            v_task tasks;
        BEGIN
            -- Held until commit: a worker being deleted (its row locked first) waits for this
            -- lease to commit, then returns what it took; or this lease waits and finds no worker.
            SELECT queues, last_seen_at INTO v_queues, v_last_seen FROM workers WHERE id = p_worker FOR KEY SHARE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'worker % not found', p_worker USING ERRCODE = 'CQ404';
            END IF;
            -- A busy worker leases many times a second: its sign of life is rewritten at most
            -- every 0.1 s, not at every lease (a row version and WAL record each time).
            IF p_now - v_last_seen >= 0.1 THEN
                UPDATE workers SET last_seen_at = p_now WHERE id = p_worker;
            END IF;
            v_sources := ARRAY(SELECT q FROM json_array_elements_text(v_queues::json) WITH ORDINALITY AS e(q, n) ORDER BY n);
            FOR v_source IN 0 .. coalesce(array_length(v_sources, 1), 0) LOOP
                EXIT WHEN v_left <= 0;
                IF v_source = 0 THEN
                    OPEN v_candidates NO SCROLL FOR SELECT seq, queue, singularly_run, data_key, data FROM tasks
                    WHERE owner_id = p_worker AND state = 'queued' AND owner_id IS NOT NULL AND run_at <= p_now
                    ORDER BY run_at, seq FOR UPDATE SKIP LOCKED;
                ELSE
                    OPEN v_candidates NO SCROLL FOR SELECT seq, queue, singularly_run, data_key, data FROM tasks
                    WHERE queue = v_sources[v_source] AND state = 'queued' AND owner_id IS NULL AND run_at <= p_now
                    ORDER BY run_at, seq FOR UPDATE SKIP LOCKED;
                END IF;
                WHILE v_left > 0 LOOP
                    FETCH v_candidates INTO v_candidate;
                    EXIT WHEN NOT FOUND;
                    -- One key for the candidate's twins: its queue and its data.
                    v_twins := hashtextextended(v_candidate.queue, v_candidate.data_key);
                    CONTINUE WHEN v_candidate.singularly_run AND v_twins = ANY(v_held_back);
                    IF v_candidate.singularly_run THEN
                        -- Two statements, in this order: the second's snapshot is taken after the
                        -- lock is held, so it sees a twin that a concurrent lease started and
                        -- committed before letting the lock go. (In one expression the snapshot
                        -- came first.)
                        IF NOT pg_try_advisory_xact_lock(v_twins) THEN
                            v_held_back := v_held_back || v_twins;
                            CONTINUE;
                        END IF;
                        \(heldBackWhileATwinIsStarted)
                    ELSIF NOT pg_try_advisory_xact_lock_shared(v_twins) THEN
                        CONTINUE;
                    END IF;
                    UPDATE tasks SET state = 'started', worker_id = p_worker, attempts = attempts + 1,
                        started_at = p_now, lease_expires_at = p_expires
                    WHERE seq = v_candidate.seq RETURNING * INTO v_task;
                    RETURN NEXT v_task;
                    v_left := v_left - 1;
                END LOOP;
                CLOSE v_candidates;
            END LOOP;
        END
        $$
        """,
    ]

    /// `couchqueue_lease` looks for a started twin of a `singularlyRun` candidate before it
    /// takes the twins' advisory lock, and again after. It took the lock first, and a
    /// transaction keeps its advisory locks until it commits: a lease passing over thousands of
    /// held-back candidates of distinct data held one lock for each, and the server's lock
    /// table (64 per allowed connection, by default) could run out, failing every transaction
    /// that needed one more. Now a lease holds a lock for each task it starts, and for a
    /// candidate whose twin started between the two looks. v8's function, with the first look
    /// added.
    private static let v9 = [
        v8[0].replacingExactlyOnce(
            "IF NOT pg_try_advisory_xact_lock(v_twins) THEN",
            with: """
                -- Seen started before the lock is taken: no lock is then held for it.
                \(heldBackWhileATwinIsStarted)
                IF NOT pg_try_advisory_xact_lock(v_twins) THEN
                """),
    ]

    /// Passes over a `singularlyRun` candidate while a twin of it is started (v7 to v9).
    private static let heldBackWhileATwinIsStarted = """
        IF EXISTS (SELECT 1 FROM tasks WHERE queue = v_candidate.queue AND data_key = v_candidate.data_key
            AND state IN ('queued', 'started') AND state = 'started' AND data = v_candidate.data)
        THEN
            v_held_back := v_held_back || v_twins;
            CONTINUE;
        END IF;
        """
}

extension String {
    /// This text with `target`, which must occur exactly once, replaced: a migration that
    /// changes a function says what it changes, and stops at once if the text it patches moved.
    fileprivate func replacingExactlyOnce(_ target: String, with replacement: String) -> String {
        let parts = components(separatedBy: target)
        precondition(parts.count == 2, "a migration's patch expects its target exactly once")
        return parts[0] + replacement + parts[1]
    }
}
