@testable import CouchQueueStoreSQLite
import Testing

/// The directory holds nothing that a rollback may have undone, and forgets no own copy.
@Suite struct WorkerDirectoryTests {
    @Test func aRollbackOrAFailedBatchEmptiesItAndACommitKeepsIt() {
        let directory = WorkerDirectory(ownCopiesStored: false)
        let worker = WorkerDirectory.Worker(queues: ["a", "b"], lastSeenWritten: 5)
        directory["w_1"] = worker
        directory.commit()
        #expect(directory["w_1"]?.queues == ["a", "b"])
        directory.rollBack(to: directory.mark())
        #expect(directory["w_1"] == nil)
        directory["w_1"] = worker
        directory.abandon()
        #expect(directory["w_1"] == nil)
    }

    @Test func ownCopiesOnceNotedStayNoted() {
        let directory = WorkerDirectory(ownCopiesStored: false)
        #expect(!directory.mayHaveOwnCopies)
        directory.noteOwnCopy()
        directory.rollBack(to: directory.mark())
        directory.abandon()
        #expect(directory.mayHaveOwnCopies)
        #expect(WorkerDirectory(ownCopiesStored: true).mayHaveOwnCopies)
    }
}
