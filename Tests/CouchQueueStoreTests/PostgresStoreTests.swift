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

    @Test(arguments: [TaskScope.any, .all])
    func publishRoutedWithStaleInterestsIsRefusedAndStoresNothing(_ scope: TaskScope) async throws {
        try await PostgresTestDatabase.withFreshStore { store in
            let f = StoreFixture(store)
            let worker = try await f.worker(["a"])
            let before = try await store.interestsVersion()
            try await f.interested("a")
            let current = try await store.interestsVersion()
            #expect(current > before)
            func insert(_ version: Int64) async throws -> [PublishedTask] {
                try await store.insertTasks(InsertTasksParams(
                    publicationId: RandomID.make("p"), publisher: "tests", data: "{}", queues: ["a"], scope: scope,
                    singularlyEnqueue: false, singularlyRun: false, runAt: StoreFixture.t0, now: StoreFixture.t0,
                    interestsVersion: version))
            }
            await expectStoreError(.staleInterests) { _ = try await insert(before) }
            let queued = try await store.queueSummary(name: "a", now: StoreFixture.t0)?.length ?? 0
            let copies = try await store.workerQueueLength(workerId: worker) ?? 0
            #expect(queued + copies == 0)
            #expect(try await insert(current).count == 1)
        }
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
