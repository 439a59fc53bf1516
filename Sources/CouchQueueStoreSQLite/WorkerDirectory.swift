import Synchronization

/// What a lease needs to know of its worker, kept in memory by the writer instead of read from
/// the file on every lease: the worker's queues in its order, fixed when it registers; when its
/// sign of life was last written (`SQLiteStore.lastSeenResolution`); and whether any worker may
/// have copies of its own waiting (scope `all`). Most servers never publish such a copy, and
/// their leases then skip that look-up. This server is the file's only writer
/// (`DatabaseFileLock`), so nothing changes a worker behind its back.
///
/// A worker is read from the file on its first lease and forgotten when it is deleted. A
/// savepoint or a batch rolled back empties the directory (`TransactionJournal`): what it
/// learnt inside may be what was undone, and what it forgot is read again. Own copies, once
/// noted, stay noted while the store is open: noted without need, they cost only that look-up.
final class WorkerDirectory: TransactionJournal, Sendable {
    struct Worker: Sendable {
        let queues: [String]
        var lastSeenWritten: Double
    }

    private let workers = Mutex<[String: Worker]>([:])
    private let ownCopiesNoted: Atomic<Bool>

    /// `ownCopiesStored`: the file holds copies of scope `all` not yet finished.
    init(ownCopiesStored: Bool) {
        ownCopiesNoted = Atomic(ownCopiesStored)
    }

    subscript(id: String) -> Worker? {
        get { workers.withLock { $0[id] } }
        set { workers.withLock { $0[id] = newValue } }
    }

    /// Whether a lease must look for its worker's own copies.
    var mayHaveOwnCopies: Bool {
        ownCopiesNoted.load(ordering: .relaxed)
    }

    /// Before a copy of scope `all` is inserted.
    func noteOwnCopy() {
        ownCopiesNoted.store(true, ordering: .relaxed)
    }

    // MARK: TransactionJournal

    func mark() -> Int { 0 }

    func rollBack(to mark: Int) {
        workers.withLock { $0.removeAll() }
    }

    func commit() {}

    func abandon() {
        workers.withLock { $0.removeAll() }
    }
}
