import CouchQueueModel
import CouchQueueStore
import GRDB

/// The embedded store: one SQLite file in WAL mode, synced on every commit.
///
/// Writes go through a `GroupCommitWriter` (one writer, batched transactions); reads run on a
/// pool of reader connections that see the last committed state and never block the writer.
public final class SQLiteStore: QueueStore {
    let pool: DatabasePool
    let writer: GroupCommitWriter

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "couchqueue"
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Hot index pages are rewritten many times a second: copying them back to the
            // database every 1,000 WAL pages (the default) showed as publish latency spikes.
            // `WALCheckpointer` copies most pages before the writer's turn comes.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
            // Each write of a group commit runs in a savepoint; its statement journal stays in
            // memory instead of a temporary file written for every page it touches.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // The page cache stays at SQLite's default (2 MiB): the pager scans its cache at the
            // end of every commit, and a 32 MiB one cost more there than it saved, even with
            // 300,000 tasks waiting.
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        // FULL: the WAL is synced at every commit, so a committed publish survives power loss.
        // Set after opening: GRDB sets NORMAL (synced only at checkpoints) when it turns WAL on.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try SQLiteMigrations.migrator.migrate(pool)
        writer = GroupCommitWriter(pool: pool, checkpointer: try WALCheckpointer(path: path, configuration: configuration))
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// One server owns an SQLite file: nobody else announces anything.
    public func changes() -> AsyncStream<StoreChange> {
        AsyncStream { $0.finish() }
    }

    public func close() async throws {
        try await writer.close()
        try pool.close()
    }
}
