import Dispatch
import Glibc
import Synchronization

/// Syncs the write-ahead log to disk off the writer's thread, and answers each committed batch
/// once the log is as durable as its writes ask (`GroupCommitWriter.Durability`).
///
/// The writer commits with `synchronous = NORMAL`: the log is written, not synced, and the
/// write lock is free again at once. While the writer runs the next batch, this syncs the log
/// for the batches before it, so the writer's work and the disk's wait overlap instead of
/// taking turns under the one write lock. A sync waits only for batches the writer already
/// has queued (see `committed`). One sync answers every batch waiting when it began. (SQLite
/// syncs the log itself before each checkpoint, and the database after it.)
///
/// Readers may see a commit a moment before its sync returns. A `.synced` write is answered
/// after a sync that began after its commit, and after the `.logged` commits before it. A
/// `.logged` one (a lease, a report) is answered before, unless an earlier commit still waits
/// for a sync: a worker never receives a task whose publication could still be lost. A sync
/// covering it starts at most about `loggedSyncDelay` later.
///
/// A failed sync is final. Linux reports a write-back error once and may then count the pages
/// as clean, so a later sync that succeeds proves nothing: from then on every write is
/// answered with the error and `check()` fails, as PostgreSQL stops on a failed sync. The
/// `.logged` writes answered before it may be lost in a power loss.
final class WALSyncer: Sendable {
    typealias Answer = @Sendable ((any Error)?) -> Void

    private struct State {
        var batches: [[Answer]] = []
        /// When the oldest batch waiting in `batches` for a sync to be scheduled was committed.
        var firstDeferral: ContinuousClock.Instant?
        var syncScheduled = false
        var syncing = false
        /// `.logged` commits were answered that no sync has covered yet (`syncLogged`).
        var laterSyncScheduled = false
        /// `syncLogged` is under way: it holds back no `.logged` batch, only reads (below).
        var syncingLogged = false
        var failure: SyncError?
        var closed = false

        /// Whether a batch committed now would find no earlier one waiting for a sync.
        var nothingWaits: Bool { batches.isEmpty && !syncScheduled && !syncing }

        /// After a failed sync, the batches that no scheduled sync will answer.
        mutating func takeStranded() -> [[Answer]] {
            guard failure != nil, !syncScheduled else { return [] }
            defer { (batches, firstDeferral) = ([], nil) }
            return batches
        }
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

    /// Answers `batch`, just committed, once the log is as durable as its strictest write asks.
    ///
    /// - `writerBusy`: the writer has more batches queued. The sync then waits for their
    ///   commits, up to `maxDeferral`, so that one sync answers them all. A sync costs the
    ///   kernel tens of microseconds of CPU however little it carries; syncing after every
    ///   commit took a sixth of a busy server's CPU. The writer's last queued batch comes with
    ///   `writerBusy` false, so a deferred batch is never left waiting.
    /// - A `.logged` batch is answered at once unless an earlier commit is still waiting for
    ///   a sync; if it changed rows, a sync is scheduled for later. Maintenance finding nothing
    ///   to do, every few hundred milliseconds, is such a batch: an idle server does not sync.
    /// - A `.synced` batch that changed no row (a publish that found its twin) is answered at
    ///   once when nothing is left to sync.
    func committed(_ batch: [Answer], changedRows: Bool, durability: GroupCommitWriter.Durability, writerBusy: Bool) {
        let now = ContinuousClock.now
        let next = state.withLock { state -> NextStep in
            if let failure = state.failure { return .answer(failure) }
            if state.nothingWaits {
                switch durability {
                case .logged where changedRows && !state.laterSyncScheduled:
                    state.laterSyncScheduled = true
                    return .answerAndSyncLater
                case .logged: return .answer(nil)
                case .synced where !changedRows && !state.laterSyncScheduled && !state.syncingLogged: return .answer(nil)
                case .synced: break
                }
            }
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
        case .answerAndSyncLater:
            for answer in batch { answer(nil) }
            queue.asyncAfter(deadline: .now() + .milliseconds(Self.loggedSyncDelay)) { self.syncLogged() }
        case .wait: break
        case .sync: queue.async { self.syncWaiting() }
        }
    }

    private enum NextStep {
        case answer(SyncError?), answerAndSyncLater, wait, sync
    }

    /// The longest a commit waits for the writer's next ones before its sync is scheduled.
    static let maxDeferral = Duration.milliseconds(2)

    /// How long a `.logged` commit answered before its sync may wait for one to start, in
    /// milliseconds. beanstalkd syncs its log at most every 50 ms by default; SQLite also
    /// syncs the log before each checkpoint (`WALCheckpointer`, every 100 ms while commits come).
    static let loggedSyncDelay = 50

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
        let (failure, stranded) = finishSync(syncLog(), under: \.syncing)
        for batch in batches + stranded { for answer in batch { answer(failure) } }
    }

    /// Syncs the `.logged` commits answered since the last such sync began; those committed
    /// from here on schedule the next one.
    private func syncLogged() {
        let closed = state.withLock { state in
            if !state.closed { (state.laterSyncScheduled, state.syncingLogged) = (false, true) }
            return state.closed
        }
        guard !closed else { return }
        let (failure, stranded) = finishSync(syncLog(), under: \.syncingLogged)
        for batch in stranded { for answer in batch { answer(failure) } }
    }

    /// Runs on `queue`, as `close()` does: a closed descriptor's number may name another file.
    private func syncLog() -> SyncError? {
        if state.withLock({ $0.closed }) { return SyncError(operation: "fdatasync of the closed write-ahead log", code: EBADF) }
        return fdatasync(descriptor) == 0 ? nil : SyncError(operation: "fdatasync of the write-ahead log", code: errno)
    }

    /// Records a sync's result and that it is over (`flag`); after a failure, returns what
    /// no scheduled sync will answer.
    private func finishSync(_ result: SyncError?, under flag: WritableKeyPath<State, Bool>) -> (SyncError?, stranded: [[Answer]]) {
        state.withLock { state in
            state[keyPath: flag] = false
            state.failure = state.failure ?? result
            return (state.failure, state.takeStranded())
        }
    }

    /// Waits for the syncs under way, syncs what `.logged` commits left unsynced, then closes
    /// the log's descriptor on the syncs' queue, so that a sync scheduled for later finds it
    /// closed. Call it after the writer's last commit; `check()` then says whether that sync
    /// failed.
    func close() async {
        await withCheckedContinuation { continuation in
            queue.async {
                if self.state.withLock({ $0.laterSyncScheduled && $0.failure == nil }), let failure = self.syncLog() {
                    self.state.withLock { $0.failure = failure }
                }
                self.state.withLock { $0.closed = true }
                Glibc.close(self.descriptor)
                continuation.resume()
            }
        }
    }
}

/// The log could not be synced: what was committed may not survive a power loss, so the
/// writes are answered with this error instead of success.
struct SyncError: Error, CustomStringConvertible {
    let operation: String
    let code: Int32
    var description: String { "\(operation) failed: \(String(cString: strerror(code)))" }
}
