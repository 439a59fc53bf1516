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
            // FULL: the WAL is synced at every commit, so a committed publish survives power loss.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            try db.execute(sql: "PRAGMA cache_size = -32768")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try SQLiteMigrations.migrator.migrate(pool)
        writer = GroupCommitWriter(pool: pool)
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// One server owns an SQLite file: nobody else announces anything.
    public func changes() -> AsyncStream<StoreChange> {
        AsyncStream { $0.finish() }
    }

    public func close() async throws {
        try await writer.drain()
        try pool.close()
    }
}
