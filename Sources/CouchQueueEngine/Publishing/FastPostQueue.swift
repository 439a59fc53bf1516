import CouchQueueModel
import Logging
import ServiceLifecycle
import Synchronization

/// Stores the publications that were answered before routing (`fastPost`), a bounded number
/// at a time so they share group commits. At most `maxBacklog` wait to be stored, holding at
/// most about `maxBacklogBytes` (`Publication.heldBytes`): past either, a fastPost publish is
/// refused (503) rather than held in memory without bound. Their requests' bytes leave the
/// connections' account (`--connection-memory`) once answered, so this bound takes over. One
/// publication is taken whatever its size when none waits. On graceful shutdown it takes
/// nothing new and finishes what it holds before `run()` returns.
///
/// The server's service group must run it, ordered so that the HTTP server stops first.
public final class FastPostQueue: Service, Sendable {
    typealias Work = @Sendable () async throws -> Void

    private typealias Item = (work: Work, publicationId: String, bytes: Int)
    private let stream: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let logger: Logger
    /// How many publications are stored at once.
    private let concurrency = 64
    private let backlog = Mutex(Backlog())
    let maxBacklog: Int
    let maxBacklogBytes: Int

    /// The errors found after the answer are logged and counted here (`GET /status`).
    var counts: FastPostCounts { backlog.withLock { $0.counts } }

    private struct Backlog {
        var counts = FastPostCounts()
        /// What the publications waiting to be stored hold, by `Publication.heldBytes`.
        var heldBytes = 0

        var waiting: Int { counts.accepted - counts.stored - counts.failed }
    }

    init(logger: Logger, maxBacklog: Int = 10_000, maxBacklogBytes: Int) {
        (stream, continuation) = AsyncStream.makeStream()
        self.logger = logger
        self.maxBacklog = maxBacklog
        self.maxBacklogBytes = maxBacklogBytes
    }

    /// Throws `unavailable` when the backlog is full or the queue takes no more work (shutting
    /// down). `bytes`: what the publication holds until stored.
    func submit(_ work: @escaping Work, publicationId: String, bytes: Int) throws(EngineError) {
        // Counted before its work can be counted as done.
        let admitted = backlog.withLock { backlog in
            guard backlog.waiting < maxBacklog, backlog.heldBytes == 0 || backlog.heldBytes + bytes <= maxBacklogBytes else { return false }
            backlog.counts.accepted += 1
            backlog.heldBytes += bytes
            return true
        }
        guard admitted else {
            throw EngineError(.unavailable, "too many fastPost publications wait to be stored; publish again later, or without fastPost")
        }
        guard case .enqueued = continuation.yield((work, publicationId, bytes)) else {
            backlog.withLock { $0.counts.accepted -= 1; $0.heldBytes -= bytes }
            throw EngineError(.unavailable, "the server is shutting down; publish again elsewhere")
        }
    }

    public func run() async {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for await item in stream {
                    if running == concurrency {
                        await group.next()
                        running -= 1
                    }
                    running += 1
                    group.addTask { await self.perform(item) }
                }
            }
        } onGracefulShutdown: {
            self.continuation.finish()
        }
    }

    private func perform(_ item: Item) async {
        do {
            try await item.work()
            backlog.withLock { $0.counts.stored += 1; $0.heldBytes -= item.bytes }
        } catch {
            backlog.withLock { $0.counts.failed += 1; $0.heldBytes -= item.bytes }
            logger.error("a fastPost publication was not stored", metadata: [
                "couchqueue.publication.id": "\(item.publicationId)", "error": "\(error)",
            ])
        }
    }
}
