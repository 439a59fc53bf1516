import CouchQueueStore
import Logging
import ServiceLifecycle

/// What one maintenance pass changed.
public struct MaintenanceReport: Sendable, Equatable {
    public var expiredLeases = 0
    public var reapedWorkers = 0
    public var sweptTasks = 0
}

/// Returns expired leases to their queues, removes silent idle workers and sweeps succeeded
/// tasks past retention: a timer around `runOnce(now:)`. Each step is one atomic store
/// operation, so any number of servers may run it at once.
///
/// The server's service group runs it; it stops on graceful shutdown.
public struct MaintenanceService: Service {
    let store: any QueueStore
    let options: EngineOptions
    let waitingWorkers: WaitingWorkers
    let logger: Logger
    /// Rows swept per statement, so that a large backlog never holds the writer for long.
    public var sweepBatch = 1000
    /// Statements per pass while each sweeps a full batch: at one batch a pass, the sweep
    /// removed at most 4,000 rows a second, less than a busy server finishes.
    public var sweepBatchesPerPass = 10

    /// A pass that fails (the store out of reach, most often) restarts the grace `runOnce`
    /// gives workers after start-up, from the end of the next pass that succeeds: while the
    /// store could not be reached, workers' calls were refused and their signs of life not
    /// stored, so once it is back they must have a worker timeout to call again before any is
    /// reaped with its scope `all` copies.
    public func run() async throws {
        let interval = Duration.milliseconds(Int64(options.maintenanceInterval * 1000))
        var reachableSince = options.now()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let report = try await runOnce(now: options.now(), upSince: reachableSince)
                if reachableSince == .infinity { reachableSince = options.now() }
                if report != MaintenanceReport() {
                    logger.debug("maintenance", metadata: [
                        "couchqueue.leases.expired": "\(report.expiredLeases)",
                        "couchqueue.workers.reaped": "\(report.reapedWorkers)",
                        "couchqueue.tasks.swept": "\(report.sweptTasks)",
                    ])
                }
            } catch {
                reachableSince = .infinity  // nobody is reaped until a pass succeeds again
                logger.error("maintenance failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// One pass; returns what it changed.
    ///
    /// No worker counts as silent before this server has been up, and its store within reach
    /// (`upSince`), for a whole worker timeout: while it was down, workers could not reach it.
    /// Otherwise a restart after a longer pause would reap every worker at once, with the scope
    /// `all` copies waiting for them, before any could call again.
    public func runOnce(now: Double, upSince: Double = -.infinity) async throws -> MaintenanceReport {
        var report = MaintenanceReport()
        report.expiredLeases = try await store.expireLeases(now: now)
        let silentSince = now - options.workerTimeout
        if silentSince >= upSince { report.reapedWorkers = try await store.reapWorkers(lastSeenBefore: silentSince) }
        for _ in 0..<sweepBatchesPerPass {
            let swept = try await store.sweepSucceeded(finishedBefore: now - options.retention, limit: sweepBatch)
            report.sweptTasks += swept
            if swept < sweepBatch { break }
        }
        if report.expiredLeases > 0 || report.reapedWorkers > 0 { waitingWorkers.wakeAll() }
        return report
    }
}
