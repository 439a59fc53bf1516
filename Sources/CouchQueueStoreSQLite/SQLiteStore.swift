import CouchQueueModel
import CouchQueueStore
import GRDB

/// The embedded store: one SQLite file in WAL mode. No write is answered before its commit is
/// in the log, which outlives the process; none but leases, renewals, reports and maintenance
/// before the log is synced to disk (`GroupCommitWriter.Durability`).
///
/// Writes go through a `GroupCommitWriter` (one writer, batched transactions); reads run on a
/// pool of reader connections that see the last committed state and never block the writer.
public final class SQLiteStore: QueueStore {
    let pool: DatabasePool
    let writer: GroupCommitWriter
    let twins = TwinRegistry()
    let leaseExpiryBound = LeaseExpiryBound()
    let workers: WorkerDirectory
    let committedInterestsVersion: CommittedInterestsVersion
    let taskSequence: TaskSequence
    private let checkpointer: WALCheckpointer
    private let fileLock: DatabaseFileLock

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "couchqueue"
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // The log starts over once the writer's checkpoint (after `WALCheckpointer` has
            // copied most pages back) finds it past this many pages: 8 MiB. While it grows, each
            // sync also commits the file's new size; at 40 MiB that growth cost the first
            // ~20,000 publishes on a new file 10-15% more CPU. Smaller logs measured no worse.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 2000")
            // Each write of a group commit runs in a savepoint; its statement journal stays in
            // memory instead of a temporary file written for every page it touches.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // The page cache stays at SQLite's default (2 MiB): the pager scans its cache at the
            // end of every commit, and a 32 MiB one cost more there than it saved, even with
            // 300,000 tasks waiting.
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        let fileLock: DatabaseFileLock
        do {
            fileLock = try DatabaseFileLock(path: path)
        } catch {
            try? pool.close()
            throw error
        }
        var checkpointer: WALCheckpointer?
        do {
            // NORMAL: a commit writes the log without syncing it and frees the write lock at once;
            // `WALSyncer` syncs the log before anyone is answered, so a committed publish still
            // survives power loss. (GRDB sets NORMAL itself when it turns WAL on; said here
            // because durability depends on it being NORMAL or FULL, never OFF.)
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            try SQLiteMigrations.migrator.migrate(pool)
            try pool.read { [twins] db in try Self.loadLiveTasks(db, into: twins) }
            committedInterestsVersion = CommittedInterestsVersion(try pool.read(Self.storedInterestsVersion))
            workers = WorkerDirectory(ownCopiesStored: try pool.read(Self.holdsOwnCopies))
            taskSequence = TaskSequence(last: try pool.read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM tasks") } ?? 0)
            let opened = try WALCheckpointer(path: path, configuration: configuration)
            checkpointer = opened
            writer = GroupCommitWriter(
                pool: pool, syncer: try WALSyncer(path: path + "-wal"), checkpointer: opened,
                journals: [twins, workers, committedInterestsVersion])
            self.checkpointer = opened
        } catch {
            // In the order `close` uses: the lock's descriptor goes last, after every connection.
            try? pool.close()
            try? checkpointer?.close()
            fileLock.release()
            throw error
        }
        self.pool = pool
        self.fileLock = fileLock
    }

    /// Fails once the log could not be synced, as well as when the file cannot be read.
    public func ping() async throws {
        try writer.check()
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// One server owns an SQLite file: nobody else announces anything.
    public func changes() -> AsyncStream<StoreChange> {
        AsyncStream { $0.finish() }
    }

    /// The checkpointer's connection closes last: the last connection to close copies the log
    /// into the database and deletes it, and GRDB's pool closes its read-only readers last,
    /// which cannot. Throws, once everything is closed, if the log could not be synced: leases
    /// and reports answered before their sync may then be lost in a power loss.
    public func close() async throws {
        try await writer.close()
        try pool.close()
        try checkpointer.close()
        fileLock.release()
        try writer.check()
    }
}
