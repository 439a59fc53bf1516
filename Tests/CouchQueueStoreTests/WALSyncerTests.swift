@testable import CouchQueueStoreSQLite
import Foundation
import Synchronization
import Testing

/// When the log's sync answers a committed batch: at once when the writer has nothing more
/// queued, after the writer's next commits when it has (within a bound). A batch of `.logged`
/// writes is answered before its sync, unless an earlier batch still waits for one.
@Suite struct WALSyncerTests {
    /// A syncer on a scratch log file, and the names of the batches answered so far.
    private final class Harness: Sendable {
        let syncer: WALSyncer
        private let answered = Mutex<[String]>([])
        private let directory: URL

        /// `unsyncable`: the "log" is `/dev/null`, which the kernel refuses to sync.
        init(unsyncable: Bool = false) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("cq-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let log = directory.appendingPathComponent("q.sqlite-wal").path
            _ = FileManager.default.createFile(atPath: log, contents: Data("log".utf8))
            syncer = try WALSyncer(path: unsyncable ? "/dev/null" : log)
        }

        func batch(_ name: String) -> [WALSyncer.Answer] {
            [{ failure in self.answered.withLock { $0.append(failure == nil ? name : "\(name) failed") } }]
        }

        /// The batch `name`, just committed by the writer.
        func commit(_ name: String, _ durability: GroupCommitWriter.Durability, changedRows: Bool = true, writerBusy: Bool = false) {
            syncer.committed(batch(name), changedRows: changedRows, durability: durability, writerBusy: writerBusy)
        }

        var names: [String] { answered.withLock { $0 } }

        /// Waits up to a few seconds for `count` answers.
        func waitForAnswers(_ count: Int) async throws {
            for _ in 0..<3000 where names.count < count { try await Task.sleep(for: .milliseconds(1)) }
        }

        func close() async {
            await syncer.close()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test func aBatchIsSyncedAtOnceWhenTheWriterHasNothingQueued() async throws {
        let h = try Harness()
        h.commit("a", .synced)
        try await h.waitForAnswers(1)
        #expect(h.names == ["a"])
        await h.close()
    }

    @Test func aBatchWaitsForTheWritersQueuedCommits() async throws {
        let h = try Harness()
        h.commit("a", .synced, writerBusy: true)
        try await Task.sleep(for: .milliseconds(50))
        #expect(h.names.isEmpty, "no sync before the writer's next commit")
        // The next batch failed and committed nothing: it still releases the one before it.
        h.syncer.committed([], changedRows: false, durability: .logged, writerBusy: false)
        try await h.waitForAnswers(1)
        #expect(h.names == ["a"])
        await h.close()
    }

    @Test func aBusyWriterDelaysASyncNoLongerThanTheBound() async throws {
        let h = try Harness()
        h.commit("a", .synced, writerBusy: true)
        h.commit("b", .synced, writerBusy: true)
        try await Task.sleep(for: WALSyncer.maxDeferral * 2)
        // The writer is still busy, but the first batch has waited long enough.
        h.commit("c", .synced, writerBusy: true)
        try await h.waitForAnswers(2)
        // "c" is answered with them, or (had the machine stalled between "a" and "b") waits for
        // the writer's next commit.
        #expect(h.names.starts(with: ["a", "b"]))
        await h.close()
    }

    @Test func aBatchThatChangedNothingIsAnsweredAtOnceOnlyWhenNothingWaits() async throws {
        let h = try Harness()
        h.commit("idle", .synced, changedRows: false)
        #expect(h.names == ["idle"], "answered on the spot, with no sync")
        h.commit("a", .synced, writerBusy: true)
        // It may have read what "a" wrote: it is answered after the sync that makes "a" durable.
        h.commit("read", .synced, changedRows: false)
        try await h.waitForAnswers(3)
        #expect(h.names == ["idle", "a", "read"])
        await h.close()
    }

    @Test func aLoggedBatchIsAnsweredAtOnceAndSyncedSoonAfter() async throws {
        // On a log that cannot be synced, the sync that follows shows itself by failing.
        let h = try Harness(unsyncable: true)
        h.commit("lease", .logged)
        #expect(h.names == ["lease"], "answered on the spot, before any sync")
        for _ in 0..<3000 where (try? h.syncer.check()) != nil { try await Task.sleep(for: .milliseconds(1)) }
        #expect(throws: SyncError.self, "the log was synced after the answer") { try h.syncer.check() }
        await h.close()
    }

    @Test func closingSyncsWhatLoggedBatchesLeftUnsynced() async throws {
        // On a log that cannot be synced, the sync on closing shows itself by failing.
        let h = try Harness(unsyncable: true)
        h.commit("report", .logged)
        await h.close()
        #expect(h.names == ["report"])
        #expect(throws: SyncError.self, "closing synced the log") { try h.syncer.check() }
    }

    @Test func aLoggedBatchWaitsBehindACommitWaitingForItsSync() async throws {
        let h = try Harness()
        h.commit("publish", .synced, writerBusy: true)
        // It may hand out the task just published: not before that publication is durable.
        h.commit("lease", .logged)
        try await h.waitForAnswers(2)
        #expect(h.names == ["publish", "lease"])
        await h.close()
    }

    @Test func aReadAnsweredAfterSyncWaitsForTheLoggedCommitsBeforeIt() async throws {
        // On a log that cannot be synced, an answer that waited for a sync says so.
        let h = try Harness(unsyncable: true)
        h.commit("report", .logged)
        // A publish found a twin and stored nothing: what it read must be on disk first.
        h.commit("duplicate", .synced, changedRows: false)
        try await h.waitForAnswers(2)
        #expect(h.names == ["report", "duplicate failed"])
        await h.close()
    }

    @Test func aFailedLaterSyncAnswersTheBatchesWaitingBehindIt() async throws {
        let h = try Harness(unsyncable: true)
        h.commit("lease", .logged)
        // Deferred for the writer's next commit, which the failed sync below overtakes.
        h.commit("publish", .synced, writerBusy: true)
        try await h.waitForAnswers(2)
        #expect(h.names == ["lease", "publish failed"])
        await h.close()
    }

    @Test func aFailedSyncFailsEveryBatchFromThenOn() async throws {
        let h = try Harness(unsyncable: true)
        h.commit("a", .synced)
        h.commit("b", .synced, writerBusy: true)
        try await h.waitForAnswers(2)
        // Once the failure is recorded, "b" may be answered on this thread before the
        // syncer's thread answers "a": failures come in no set order.
        #expect(h.names.sorted() == ["a failed", "b failed"])
        #expect(throws: SyncError.self) { try h.syncer.check() }
        h.commit("idle", .synced, changedRows: false)
        #expect(h.names.last == "idle failed", "no answer means durable any more")
        await h.close()
    }
}
