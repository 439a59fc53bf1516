import NIOCore

/// Runs a request's task on its connection's event loop.
///
/// Swift's global executor is NIO's event loops (`main.swift`), but it picks a loop for each
/// job: the one it is already on, or any loop of the group for a task resumed by a store's
/// thread. With several loops, a request's task could resume on another loop than its
/// connection's, and its answer then hop back to the connection's. Preferring the
/// connection's loop keeps parsing, routing and the answer on the thread that owns the socket.
/// Nothing on this path blocks: the store is awaited, and data too costly to match runs on
/// its own lanes (`CostlyMatching`).
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
