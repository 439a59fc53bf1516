@testable import CouchQueueStoreSQLite
import Testing

/// The registry's bookkeeping across a batch: additions at once, removals at commit, both
/// undone with a job's savepoint.
@Suite struct TwinRegistryTests {
    @Test func aRemovalWaitsForTheCommit() {
        let twins = TwinRegistry()
        twins.add(seq: 1, queue: "a", dataKey: 7)
        twins.add(seq: 2, queue: "a", dataKey: 7)
        twins.add(seq: 3, queue: "b", dataKey: 7)
        #expect(twins.candidates(queue: "a", dataKey: 7) == [1, 2])
        twins.remove(seq: 1, queue: "a", dataKey: 7)
        #expect(twins.candidates(queue: "a", dataKey: 7) == [1, 2], "the finish may still be rolled back")
        twins.commit()
        #expect(twins.candidates(queue: "a", dataKey: 7) == [2])
        #expect(twins.candidates(queue: "b", dataKey: 7) == [3])
    }

    @Test func aRolledBackJobOrBatchRemovesNothing() {
        let twins = TwinRegistry()
        twins.add(seq: 1, queue: "a", dataKey: 7)
        twins.commit()
        let mark = twins.mark()
        twins.remove(seq: 1, queue: "a", dataKey: 7)
        twins.add(seq: 2, queue: "a", dataKey: 7)
        twins.rollBack(to: mark)
        twins.commit()
        #expect(twins.candidates(queue: "a", dataKey: 7) == [1, 2], "an addition rolled back only lingers")
        twins.remove(seq: 1, queue: "a", dataKey: 7)
        twins.abandon()
        twins.commit()
        #expect(twins.candidates(queue: "a", dataKey: 7) == [1, 2])
    }

    /// SQLite gives a deleted last row's `seq` to the next insert, maybe of the same twin.
    @Test func aSeqAddedAgainAfterItsRemovalStays() {
        let twins = TwinRegistry()
        twins.add(seq: 5, queue: "a", dataKey: 7)
        twins.commit()
        twins.remove(seq: 5, queue: "a", dataKey: 7)
        twins.add(seq: 5, queue: "a", dataKey: 7)
        twins.commit()
        #expect(twins.candidates(queue: "a", dataKey: 7).contains(5))
        twins.remove(seq: 5, queue: "a", dataKey: 7)
        twins.commit()
        #expect(twins.candidates(queue: "a", dataKey: 7).isEmpty)
        #expect(twins.count == 0)
    }

    @Test func candidatesComeOldestFirst() {
        let twins = TwinRegistry()
        twins.load { register in
            for seq: Int64 in [9, 3, 7] { register(seq, "a", 7) }
        }
        #expect(twins.candidates(queue: "a", dataKey: 7) == [3, 7, 9])
        twins.add(seq: 12, queue: "a", dataKey: 7)
        twins.add(seq: 5, queue: "a", dataKey: 7)  // a seq handed out again
        #expect(twins.candidates(queue: "a", dataKey: 7) == [3, 5, 7, 9, 12])
    }

    /// Thousands of tasks with the same data (`{}`), finished oldest first, out of order, or
    /// all at once as a queue is deleted.
    @Test func manyTwinsUnderOneKeyLeaveInAnyOrder() {
        let twins = TwinRegistry()
        for seq: Int64 in 1...3_000 { twins.add(seq: seq, queue: "a", dataKey: 7) }
        twins.commit()
        for seq: Int64 in [1, 2, 4, 3, 10, 2_999] { twins.remove(seq: seq, queue: "a", dataKey: 7) }
        twins.commit()
        var left = Array(Int64(5)...3_000).filter { $0 != 10 && $0 != 2_999 }
        #expect(Array(twins.candidates(queue: "a", dataKey: 7)) == left)
        for seq in left where seq % 3 == 0 { twins.remove(seq: seq, queue: "a", dataKey: 7) }
        twins.commit()
        left.removeAll { $0 % 3 == 0 }
        #expect(Array(twins.candidates(queue: "a", dataKey: 7)) == left)
        for seq in left.reversed() { twins.remove(seq: seq, queue: "a", dataKey: 7) }
        twins.commit()
        #expect(twins.candidates(queue: "a", dataKey: 7).isEmpty && twins.count == 0)
    }
}
