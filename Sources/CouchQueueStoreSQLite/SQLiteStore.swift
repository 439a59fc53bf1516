import CouchQueueModel
import CouchQueueStore
import Foundation
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
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try SQLiteMigrations.migrator.migrate(pool)
        writer = GroupCommitWriter(pool: pool)
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func close() async throws {
        try await writer.drain()
        try pool.close()
    }
}

extension SQLiteStore {
    /// JSON text for the columns that hold lists and interests.
    static func encodeJSON(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// A worker's queue list, read on every lease: parsed without Foundation's decoder.
    static func decodeQueueList(_ text: String) throws -> [String] {
        guard case .array(let items) = try JSONValue.parse(text.utf8, maxDepth: 1) else { return [] }
        return items.compactMap { if case .string(let name) = $0 { name } else { nil } }
    }
}
