import Logging
import PostgresNIO

/// The schema, one numbered migration per version, applied under an advisory lock so that
/// servers starting at the same moment apply each migration exactly once.
enum PostgresMigrations {
    /// An arbitrary constant naming CouchQueue's migration lock.
    private static let lockKey: Int64 = 0x436F_7563_6851_7565

    static let all: [(version: Int, sql: [String])] = [(1, v1)]

    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
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
}
