import NIOCore
import Synchronization

/// Runs connections' tasks on their event loop, one executor per loop.
///
/// Swift's global executor is Dispatch's pool (`main.swift`): a connection's task on it would
/// hop from the loop to a pool thread with each request, and back with each answer. Preferring
/// the connection's loop keeps parsing, routing and the answer on the thread that owns the
/// socket, and brings a task resumed by a store's thread straight back to it. Nothing on this
/// path blocks: the store is awaited, and data too costly to match runs on its own lanes
/// (`CostlyMatching`). The benchmark's lanes use it too (`couchqueue bench`).
///
/// Jobs come in bursts: the requests of one read from many sockets, the answers of one group
/// commit resumed by the store's thread. Queued to the loop one by one, each cost a closure
/// and a place in the loop's task queue (under two locks, from another thread); here a burst
/// waits in one list that a single loop task runs in order.
public final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    private struct Waiting {
        var jobs: [UnownedJob] = []
        /// The list of the burst run last, emptied, so that bursts reuse two lists' storage.
        var spare: [UnownedJob] = []
        var runScheduled = false
    }

    private let waiting = Mutex(Waiting())

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let mustSchedule = waiting.withLock { waiting in
            waiting.jobs.append(job)
            defer { waiting.runScheduled = true }
            return !waiting.runScheduled
        }
        if mustSchedule {
            eventLoop.execute { self.runWaitingJobs() }
        }
    }

    /// Runs the jobs waiting now, in the order they came; those enqueued meanwhile (by the jobs
    /// themselves, or by other threads) schedule the next run.
    private func runWaitingJobs() {
        var jobs = waiting.withLock { waiting in
            waiting.runScheduled = false
            defer { (waiting.jobs, waiting.spare) = (waiting.spare, []) }
            return waiting.jobs
        }
        for job in jobs {
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
        jobs.removeAll(keepingCapacity: true)
        waiting.withLock { $0.spare = jobs }
    }
}

/// One `EventLoopTaskExecutor` per event loop, made when the loop's first connection opens.
public final class EventLoopTaskExecutors: Sendable {
    private let byLoop = Mutex<[ObjectIdentifier: EventLoopTaskExecutor]>([:])

    public init() {}

    public func executor(for eventLoop: any EventLoop) -> EventLoopTaskExecutor {
        byLoop.withLock { byLoop in
            if let executor = byLoop[ObjectIdentifier(eventLoop)] { return executor }
            let executor = EventLoopTaskExecutor(eventLoop)
            byLoop[ObjectIdentifier(eventLoop)] = executor
            return executor
        }
    }
}
