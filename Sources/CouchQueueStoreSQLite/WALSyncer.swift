import Dispatch
import Glibc
import Synchronization

/// Syncs the write-ahead log to disk off the writer's thread, and answers each committed batch
/// once a sync that began after its commit has returned.
///
/// The writer commits with `synchronous = NORMAL`: the log is written, not synced, and the
/// write lock is free again at once. While the writer runs the next batch, this syncs the log
/// for the batches before it, so the writer's work and the disk's wait overlap instead of
/// taking turns under the one write lock. One sync answers every batch committed before it
/// began. (SQLite syncs the log itself before each checkpoint, and the database after it.)
///
/// Readers may see a commit a moment before its sync returns. No write is answered before,
/// and a lease is a write: a worker never receives a task whose publication could still be lost.
final class WALSyncer: Sendable {
    typealias Answer = @Sendable ((any Error)?) -> Void

    private struct Waiting {
        var batches: [[Answer]] = []
        var syncScheduled = false
    }

    private let descriptor: Int32
    private let queue = DispatchQueue(label: "couchqueue.wal-sync")
    private let waiting = Mutex(Waiting())

    /// `path` is the log's (`…-wal`); it exists once the database is open in WAL mode.
    init(path: String) throws {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SyncError(operation: "open \(path)", code: errno) }
    }

    /// Answers `batch`, just committed, once the log is on disk.
    func committed(_ batch: [Answer]) {
        let mustSchedule = waiting.withLock { waiting in
            waiting.batches.append(batch)
            defer { waiting.syncScheduled = true }
            return !waiting.syncScheduled
        }
        if mustSchedule { queue.async { self.syncWaiting() } }
    }

    /// Batches committed while this sync runs schedule the next one: theirs must begin later.
    private func syncWaiting() {
        let batches = waiting.withLock { waiting in
            defer { waiting = Waiting() }
            return waiting.batches
        }
        let failure = fdatasync(descriptor) == 0 ? nil : SyncError(operation: "fdatasync", code: errno)
        // One job answers them all: resuming each caller from this thread would wake the
        // event loop once per caller.
        Task { for batch in batches { for answer in batch { answer(failure) } } }
    }

    /// Waits for the syncs under way, then closes the log's descriptor. Call it after the
    /// writer's last commit.
    func close() {
        queue.sync {}
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
