import Synchronization

/// The interests version as last committed, kept in memory: this server is the file's only
/// writer (`DatabaseFileLock`), so it sees every change itself. A publish that no queue wants
/// asks for the version to check its routing; reading it from the file cost a reader
/// connection and a transaction, about 150 µs, three times what storing a task costs. The
/// writer checks each publish's routing against it too (`inWriter`).
///
/// A change is recorded as it is written and applied when its batch commits, as the file's
/// readers see it (`TransactionJournal`): not before, or a savepoint rolled back would leave a
/// version the file never had; not once its caller is answered, after the sync, or a reload
/// meanwhile would label the new interests with the old version, and every publish routed
/// with them would be refused as stale.
final class CommittedInterestsVersion: TransactionJournal {
    private struct State {
        var committed: Int64
        /// Written by the batch under way, in order.
        var written: [Int64] = []
    }

    private let state: Mutex<State>

    init(_ version: Int64) {
        state = Mutex(State(committed: version))
    }

    var value: Int64 {
        state.withLock { $0.committed }
    }

    /// In the writer: the version as the batch under way sees it, its own changes included.
    var inWriter: Int64 {
        state.withLock { $0.written.last ?? $0.committed }
    }

    /// In the writer: the version a change in the batch under way has written.
    func changed(to version: Int64) {
        state.withLock { $0.written.append(version) }
    }

    // MARK: TransactionJournal

    func mark() -> Int {
        state.withLock { $0.written.count }
    }

    func rollBack(to mark: Int) {
        state.withLock { $0.written.removeSubrange(mark...) }
    }

    func commit() {
        state.withLock { state in
            state.committed = state.written.last ?? state.committed
            state.written.removeAll()
        }
    }

    func abandon() {
        state.withLock { $0.written.removeAll() }
    }
}
