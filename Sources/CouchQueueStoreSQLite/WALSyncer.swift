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
/// Readers may see a commit a moment before its sync returns. A `.synced` write is answered
/// after it. A `.logged` one (a lease, a report) is answered before, but never while an earlier
/// commit waits for its sync: a worker never receives a task whose publication could still be
/// lost. Its own commit is synced within `loggedSyncDelay`.
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
        /// A sync is due for `.logged` commits answered before it (`syncLogged`).
        var laterSyncScheduled = false
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

    /// What a committed batch waits for before its answers.
    enum Need {
        /// It changed no row (maintenance finding nothing to do, every few hundred
        /// milliseconds): an idle server does not sync at all.
        case nothing
        /// A write in it is `.synced`.
        case sync
        /// It changed rows, all `.logged`: a sync within `loggedSyncDelay` will do.
        case laterSync
    }

    /// Answers `batch`, just committed, once the log is as durable as it `needs`.
    ///
    /// - `writerBusy`: the writer has more batches queued. The sync then waits for their
    ///   commits, up to `maxDeferral`, so that one sync answers them all. A sync costs the
    ///   kernel tens of microseconds of CPU however little it carries; syncing after every
    ///   commit took a sixth of a busy server's CPU. The writer's last queued batch comes with
    ///   `writerBusy` false, so a deferred batch is never left waiting.
    /// - A batch that needs no sync of its own is answered at once unless an earlier commit is
    ///   still waiting for its sync: a lease never hands out a task whose publication could
    ///   still be lost, and answers keep the order of their commits.
    func committed(_ batch: [Answer], needs: Need, writerBusy: Bool) {
        let now = ContinuousClock.now
        let next = state.withLock { state -> NextStep in
            if let failure = state.failure { return .answer(failure) }
            if needs != .sync, state.batches.isEmpty, !state.syncScheduled, !state.syncing {
                guard needs == .laterSync, !state.laterSyncScheduled else { return .answer(nil) }
                state.laterSyncScheduled = true
                return .answerAndSyncLater
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
            queue.asyncAfter(deadline: .now() + Self.loggedSyncDelay) { self.syncLogged() }
        case .wait: break
        case .sync: queue.async { self.syncWaiting() }
        }
    }

    private enum NextStep {
        case answer(SyncError?), answerAndSyncLater, wait, sync
    }

    /// The longest a commit waits for the writer's next ones before its sync is scheduled.
    static let maxDeferral = Duration.milliseconds(2)

    /// How long `.logged` commits may stay unsynced: a power loss undoes at most this much of
    /// them. beanstalkd syncs its log at most every 50 ms by default; SQLite also syncs the log
    /// before each checkpoint (`WALCheckpointer`, every 100 ms while commits come).
    static let loggedSyncDelay = DispatchTimeInterval.milliseconds(50)

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

    /// Syncs the `.logged` commits answered since the last sync was scheduled. Commits after
    /// this point schedule the next one. A failure is final, as in `syncWaiting`.
    private func syncLogged() {
        let closed = state.withLock { state in
            state.laterSyncScheduled = false
            return state.closed
        }
        guard !closed else { return }
        if fdatasync(descriptor) != 0 {
            let failure = SyncError(operation: "fdatasync of the write-ahead log", code: errno)
            state.withLock { $0.failure = $0.failure ?? failure }
        }
    }

    /// Waits for the syncs under way, then closes the log's descriptor on the syncs' queue, so
    /// that a sync scheduled for later finds it closed. Call it after the writer's last commit.
    func close() async {
        await withCheckedContinuation { continuation in
            queue.async {
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
