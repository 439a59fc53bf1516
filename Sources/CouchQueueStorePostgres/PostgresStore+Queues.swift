import CouchQueueModel
import CouchQueueStore
import PostgresNIO

extension PostgresStore {
    public func setInterests(queue: String, interests: Interests, now: Double) async throws {
        let text = StoredText.interests(interests)
        try await transaction { [self] connection in
            try await connection.query("""
                INSERT INTO queues (name, interests, created_at) VALUES (\(queue), \(text), \(now))
                ON CONFLICT (name) DO UPDATE SET interests = excluded.interests
                """, logger: logger)
            try await interestsChanged(connection)
        }
    }

    public func clearInterests(queue: String) async throws -> Bool {
        try await transaction { [self] connection in
            let rows = try await connection.query(
                "UPDATE queues SET interests = NULL WHERE name = \(queue) RETURNING name", logger: logger
            ).collect()
            guard !rows.isEmpty else { return false }
            try await interestsChanged(connection)
            return true
        }
    }

    /// The queue's row goes first: a publish into it holds the row `FOR KEY SHARE` until it
    /// commits, so the deletion waits for it and then deletes its tasks too, and a publish
    /// that comes later finds no row and is refused as stale.
    public func deleteQueue(queue: String) async throws -> Int? {
        try await transaction { [self] connection -> Int? in
            let rows = try await connection.query("DELETE FROM queues WHERE name = \(queue) RETURNING name", logger: logger).collect()
            guard !rows.isEmpty else { return nil }
            let deleted = try await connection.query(
                "WITH gone AS (DELETE FROM tasks WHERE queue = \(queue) AND state IN ('queued', 'started') AND state = 'queued' RETURNING 1) SELECT count(*) FROM gone",
                logger: logger)
            var count = 0
            for try await removed in deleted.decode(Int.self) { count = removed }
            // Started tasks stay with their workers, marked so that none goes back, not even
            // into a queue of the same name created later. After the deletion, whose wait for a
            // lease under way lets this statement see the task it started. Those marked by an
            // earlier deletion are left alone: locking them again could meet a lease expiry
            // that holds them and waits for this queue's row.
            try await connection.query("""
                UPDATE tasks SET queue_deleted = true WHERE seq IN (
                    SELECT seq FROM tasks WHERE queue = \(queue) AND state = 'started' AND NOT queue_deleted \(unescaped: Self.inLockOrder))
                """, logger: logger)
            try await interestsChanged(connection)
            return count
        }
    }

    public func interestsVersion() async throws -> Int64 {
        for version in try await query("SELECT version FROM couchqueue_interests_version").decode(Int64.self) { return version }
        return 0
    }

    /// Bumps the version every server checks as it publishes, and asks them to reload at once
    /// (an interest change is rare: announced on its own, inside its transaction).
    private func interestsChanged(_ connection: PostgresConnection) async throws {
        try await connection.query("UPDATE couchqueue_interests_version SET version = version + 1", logger: logger)
        for payload in PostgresChangeChannel.payloads(.interestsChanged) {
            try await connection.run("SELECT pg_notify(\(PostgresChangeChannel.channel), \(payload))", logger: logger)
        }
    }

    public func allInterests() async throws -> [String: Interests] {
        var result: [String: Interests] = [:]
        let rows = try await query("SELECT name, interests FROM queues WHERE interests IS NOT NULL")
        for (name, text) in try rows.decode((String, String).self) {
            result[name] = try StoredText.interests(from: text)
        }
        return result
    }
}
