import Dispatch
import Glibc
import Synchronization

/// Syncs the write-ahead log to disk off the writer's thread, and answers each committed batch
/// once a sync that began after its commit has returned.
///
/// The writer commits with `synchronous = NORMAL`: the log is written, not synced, and the
/// write lock is free again at once. While the writer runs the next batch, this syncs the log
/// for the batches before it, so the writer's work and the disk's wait overlap instead of
/// taking turns under the one write lock. A sync waits only for batches the writer already
/// has queued (see `committed`). One sync answers every batch committed before it
/// began. (SQLite syncs the log itself before each checkpoint, and the database after it.)
///
/// Readers may see a commit a moment before its sync returns. No write is answered before,
/// and a lease is a write: a worker never receives a task whose publication could still be lost.
///
/// A failed sync is final. Linux reports a write-back error once and may then count the pages
/// as clean, so a later sync that succeeds proves nothing: from then on every write is
/// answered with the error and `check()` fails, as PostgreSQL stops on a failed sync.
final class WALSyncer: Sendable {
    typealias Answer = @Sendable ((any Error)?) -> Void

    private struct State {
        var batches: [[Answer]] = []
        /// When the oldest batch waiting in `batches` for a sync to be scheduled was committed.
        var firstDeferral: ContinuousClock.Instant?
        var syncScheduled = false
        var syncing = false
        var failure: SyncError?
        var closed = false
    }

    private let descriptor: Int32
    private let queue = DispatchQueue(label: "couchqueue.wal-sync")
    private let state = Mutex(State())

    /// `path` is the log's (`…-wal`); it exists once the database is open in WAL mode. Its
    /// directory is synced once, so that the log's own name survives a power loss too.
    init(path: String) throws {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let directoryDescriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0, fsync(directoryDescriptor) == 0 else {
            let code = errno
            if directoryDescriptor >= 0 { Glibc.close(directoryDescriptor) }
            throw SyncError(operation: "sync the directory \(directory)", code: code)
        }
        Glibc.close(directoryDescriptor)
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SyncError(operation: "open \(path)", code: errno) }
    }

    deinit {
        if !state.withLock({ $0.closed }) { Glibc.close(descriptor) }
    }

    /// Answers `batch`, just committed, once the log is on disk.
    ///
    /// - `writerBusy`: the writer has more batches queued. The sync then waits for their
    ///   commits, up to `maxDeferral`, so that one sync answers them all. A sync costs the
    ///   kernel tens of microseconds of CPU however little it carries; syncing after every
    ///   commit took a sixth of a busy server's CPU. The writer's last queued batch comes with
    ///   `writerBusy` false, so a deferred batch is never left waiting.
    /// - A batch that changed no row (maintenance finding nothing to do, every few hundred
    ///   milliseconds) needs no sync of its own: it is answered at once unless an earlier
    ///   commit is still waiting for its sync, so an idle server does not sync at all.
    func committed(_ batch: [Answer], changedRows: Bool, writerBusy: Bool) {
        let now = ContinuousClock.now
        let next = state.withLock { state -> NextStep in
            if let failure = state.failure { return .answer(failure) }
            if !changedRows, state.batches.isEmpty, !state.syncScheduled, !state.syncing { return .answer(nil) }
            state.batches.append(batch)
            if state.syncScheduled { return .wait }
            let firstDeferral = state.firstDeferral ?? now
            if writerBusy, now - firstDeferral < Self.maxDeferral {
                state.firstDeferral = firstDeferral
                return .wait
            }
            (state.firstDeferral, state.syncScheduled) = (nil, true)
            return .sync
        }
        switch next {
        case .answer(let failure): for answer in batch { answer(failure) }
        case .wait: break
        case .sync: queue.async { self.syncWaiting() }
        }
    }

    private enum NextStep {
        case answer(SyncError?), wait, sync
    }

    /// The longest a commit waits for the writer's next ones before its sync is scheduled.
    static let maxDeferral = Duration.milliseconds(2)

    /// Throws the sync failure, if there was one.
    func check() throws {
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    /// Batches committed while this sync runs schedule the next one: theirs must begin later.
    /// Once a sync has failed, every batch is answered with that failure, including those
    /// deferred for a sync that will not come.
    private func syncWaiting() {
        let batches = state.withLock { state in
            defer { (state.batches, state.syncScheduled, state.syncing) = ([], false, true) }
            return state.batches
        }
        let result = fdatasync(descriptor) == 0 ? nil : SyncError(operation: "fdatasync of the write-ahead log", code: errno)
        let (failure, deferred) = state.withLock { state -> (SyncError?, [[Answer]]) in
            state.syncing = false
            state.failure = state.failure ?? result
            guard state.failure != nil, !state.syncScheduled else { return (state.failure, []) }
            defer { (state.batches, state.firstDeferral) = ([], nil) }
            return (state.failure, state.batches)
        }
        for batch in batches + deferred { for answer in batch { answer(failure) } }
    }

    /// Waits for the syncs under way, then closes the log's descriptor. Call it after the
    /// writer's last commit.
    func close() async {
        await withCheckedContinuation { continuation in queue.async { continuation.resume() } }
        state.withLock { $0.closed = true }
        Glibc.close(descriptor)
    }
}

/// The log could not be synced: what was committed may not survive a power loss, so the
/// writes are answered with this error instead of success.
struct SyncError: Error, CustomStringConvertible {
    let operation: String
    let code: Int32
    var description: String { "\(operation) failed: \(String(cString: strerror(code)))" }
}
