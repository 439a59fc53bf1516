import CouchQueueModel
import CouchQueueStore
import CouchQueueStorePostgres
import Testing

/// The conformance suite on PostgreSQL, each check on a database of its own. `scripts/test`
/// always starts the cluster, so there these tests run and never skip.
@Suite(
    .enabled(if: PostgresTestDatabase.serverURL != nil, "needs COUCHQUEUE_TEST_POSTGRES: run scripts/test"),
    .serialized)
struct PostgresStoreTests {
    @Test(arguments: StoreConformance.all)
    func conformance(_ check: StoreCheck) async throws {
        try await PostgresTestDatabase.withFreshStore { store in try await check.run(store) }
    }

    @Test func serversStartingTogetherMigrateOnce() async throws {
        try await PostgresTestDatabase.withFreshStore { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { try await store.migrate() } }
                try await group.waitForAll()
            }
            try await StoreFixture(store).interested("a")
        }
    }
}
