import CouchQueueModel
import CouchQueueStore
import GRDB

extension SQLiteStore {
    public func setInterests(queue: String, interests: Interests, now: Double) async throws {
        let text = StoredText.interests(interests)
        try await writer.write { [committedInterestsVersion] db in
            try db.execute(
                sql: """
                    INSERT INTO queues (name, interests, created_at) VALUES (?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET interests = excluded.interests
                    """,
                arguments: [queue, text, now])
            try Self.interestsChanged(db, committedInterestsVersion)
        }
    }

    public func clearInterests(queue: String) async throws -> Bool {
        try await writer.write { [committedInterestsVersion] db in
            try db.execute(sql: "UPDATE queues SET interests = NULL WHERE name = ?", arguments: [queue])
            guard db.changesCount > 0 else { return false }
            try Self.interestsChanged(db, committedInterestsVersion)
            return true
        }
    }

    /// Its waiting tasks go: those for any worker through the queue's index, the copies owned
    /// by workers (`scope: all`) through each registered worker's. Its started tasks are
    /// marked (`queue_deleted`), read through the index of all started tasks.
    public func deleteQueue(queue: String) async throws -> Int? {
        try await writer.write { [twins, committedInterestsVersion] db -> Int? in
            try db.execute(sql: "DELETE FROM queues WHERE name = ?", arguments: [queue])
            guard db.changesCount > 0 else { return nil }
            try Self.interestsChanged(db, committedInterestsVersion)
            try db.execute(
                sql: "UPDATE tasks INDEXED BY tasks_held SET queue_deleted = 1 WHERE state = 'started' AND queue = ? AND NOT queue_deleted",
                arguments: [queue])
            let shared = try Self.deleteLiveTasks(
                db, twins, sql: "DELETE FROM tasks WHERE queue = ? AND state = 'queued' AND owner_id IS NULL", arguments: [queue])
            let owned = try Self.deleteLiveTasks(
                db, twins,
                sql: """
                    DELETE FROM tasks WHERE owner_id IN (SELECT worker_id FROM worker_queues WHERE queue = ?1)
                        AND queue = ?1 AND state = 'queued' AND owner_id IS NOT NULL
                    """,
                arguments: [queue])
            return shared + owned
        }
    }

    public func interestsVersion() async throws -> Int64 {
        committedInterestsVersion.value
    }

    private static func interestsChanged(_ db: Database, _ committed: CommittedInterestsVersion) throws {
        let version = try Int64.fetchOne(db.cachedStatement(sql: "UPDATE interests_version SET version = version + 1 RETURNING version"))
        if let version { committed.changed(to: version) }
    }

    static func storedInterestsVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT version FROM interests_version") ?? 0
    }

    public func allInterests() async throws -> [String: Interests] {
        try await pool.read { db in
            var result: [String: Interests] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT name, interests FROM queues WHERE interests IS NOT NULL")
            while let row = try rows.next() {
                result[row["name"]] = try StoredText.interests(from: row["interests"])
            }
            return result
        }
    }
}
