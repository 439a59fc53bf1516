import CouchQueueStore
import CouchQueueStorePostgres
import Foundation
import Logging
import PostgresNIO
import Testing

/// A fresh database per test on the throwaway cluster that `scripts/test` starts
/// (`scripts/postgres-test-cluster`) and names in `COUCHQUEUE_TEST_POSTGRES`.
enum PostgresTestDatabase {
    static let serverURL = ProcessInfo.processInfo.environment["COUCHQUEUE_TEST_POSTGRES"]

    /// Runs `body` against a migrated store on a database of its own, dropped afterwards.
    static func withFreshStore(_ body: (PostgresStore) async throws -> Void) async throws {
        let server = try PostgresLocation(url: try #require(serverURL))
        let name = "cq_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let logger = Logger(label: "tests")
        try await admin(server) { try await $0.query("CREATE DATABASE \(unescaped: name)", logger: logger) }
        var location = server
        location.database = name
        let store = try PostgresStore(location: location, poolSize: 8, logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await store.client.run() }
            defer { group.cancelAll() }
            try await store.migrate()
            try await body(store)
        }
        try await admin(server) { try await $0.query("DROP DATABASE \(unescaped: name) WITH (FORCE)", logger: logger) }
    }

    /// A client on the cluster's own database, for creating and dropping test databases.
    private static func admin(_ server: PostgresLocation, _ body: (PostgresClient) async throws -> Void) async throws {
        let store = try PostgresStore(location: server, poolSize: 1, logger: Logger(label: "tests"))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await store.client.run() }
            defer { group.cancelAll() }
            try await body(store.client)
        }
    }
}
