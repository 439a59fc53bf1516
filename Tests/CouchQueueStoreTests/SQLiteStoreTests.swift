import CouchQueueStore
import CouchQueueStoreSQLite
import Foundation
import Testing

/// The conformance suite on the embedded store, each check on a fresh database file.
@Suite struct SQLiteStoreTests {
    @Test(arguments: StoreConformance.all)
    func conformance(_ check: StoreCheck) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("q.sqlite").path)
        do {
            try await check.run(store)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    @Test func committedTasksSurviveReopening() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cq-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try SQLiteStore(path: path)
        let id = try await StoreFixture(store).publish(["a"])[0].id
        try await store.close()
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.task(id: id, now: StoreFixture.t0)?.state == .queued)
        try await reopened.close()
    }
}
