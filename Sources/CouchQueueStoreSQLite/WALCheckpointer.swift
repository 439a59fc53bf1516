import Foundation
import GRDB
import Synchronization

/// Copies the write-ahead log back into the database on a connection of its own, so that the
/// writer rarely has to.
///
/// SQLite's automatic checkpoint runs on the writer after a commit once the log holds
/// `wal_autocheckpoint` pages, and the writer waits for it: tens of milliseconds during which
/// no batch commits. A passive checkpoint here, off the writer's queue, backfills most pages
/// beforehand; the writer's own checkpoint then has little left to copy before the log starts
/// over (which only the writer can make happen, so it keeps its automatic checkpoint).
final class WALCheckpointer: Sendable {
    private let connection: DatabaseQueue
    /// When the last checkpoint started, and whether one is running.
    private let state = Mutex<(lastStart: ContinuousClock.Instant?, running: Bool)>((nil, false))
    private static let interval = Duration.milliseconds(100)

    init(path: String, configuration: Configuration) throws {
        connection = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Called after each commit: starts a checkpoint unless one ran within `interval`.
    func committed() {
        let now = ContinuousClock.now
        let start = state.withLock { state in
            guard !state.running, state.lastStart.map({ now - $0 >= Self.interval }) ?? true else { return false }
            state = (now, true)
            return true
        }
        guard start else { return }
        connection.asyncWriteWithoutTransaction { db in
            // Busy (the writer checkpointing at the same moment) is harmless: try again later.
            _ = try? db.checkpoint(.passive)
            self.state.withLock { $0.running = false }
        }
    }

    func close() throws {
        try connection.close()
    }
}
