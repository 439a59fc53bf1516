import NIOCore

/// Runs a request's task on its connection's event loop instead of Swift's global pool.
///
/// A request's task would otherwise start on a pool thread, come back to one after each store
/// call, and hand its answer to the event loop: two thread switches per request beyond the
/// store's own, each a wake-up of another thread on a busy core. Preferring the event loop
/// keeps parsing, routing and the answer on the thread that owns the socket; only the store's
/// threads are visited. Nothing on this path blocks: the store is awaited, and data too costly
/// to match runs on its own lanes (`CostlyMatching`).
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
