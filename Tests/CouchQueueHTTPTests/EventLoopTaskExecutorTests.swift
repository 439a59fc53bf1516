@testable import CouchQueueHTTP
import Dispatch
import NIOPosix
import Synchronization
import Testing

/// A connection's task runs on its event loop, also after a store call answers on
/// another thread or runs on an actor: the connection's state is touched there without a hop.
@Suite struct EventLoopTaskExecutorTests {
    @TaskLocal static var request: Int?

    private actor Elsewhere {
        func answer() -> Int { 1 }
    }

    @Test func aTaskResumesOnItsEventLoopAfterAnAnswerFromAnotherThread() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let elsewhere = Elsewhere()
        let onLoop = await Task(executorPreference: EventLoopTaskExecutor(loop)) {
            await Self.$request.withValue(1) {
                var onLoop = loop.inEventLoop
                for _ in 0..<3 {
                    await withCheckedContinuation { continuation in
                        DispatchQueue.global().async { continuation.resume() }
                    }
                    onLoop = onLoop && loop.inEventLoop
                    _ = await elsewhere.answer()
                    onLoop = onLoop && loop.inEventLoop
                }
                return onLoop
            }
        }.value
        #expect(onLoop)
        try await group.shutdownGracefully()
    }

    /// Many tasks resumed at once from other threads arrive as one burst of jobs, and the jobs
    /// they enqueue while a burst runs go into the next: every task finishes, always on the loop.
    /// The tasks are counted, not awaited, so that a job the executor loses fails the test
    /// instead of hanging it.
    @Test func burstsOfResumedTasksAllRunOnTheLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let executor = EventLoopTaskExecutors().executor(for: loop)
        let finished = Tally()
        for _ in 0..<200 {
            Task(executorPreference: executor) {
                var onLoop = loop.inEventLoop
                for _ in 0..<5 {
                    await withCheckedContinuation { continuation in
                        DispatchQueue.global().async { continuation.resume() }
                    }
                    onLoop = onLoop && loop.inEventLoop
                }
                finished.add(onLoop: onLoop)
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while finished.state.count < 200, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(finished.state.count == 200)
        #expect(finished.state.allOnLoop)
        try await group.shutdownGracefully()
    }

    @Test func aLoopHasOneExecutor() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let executors = EventLoopTaskExecutors()
        let (first, second) = (group.next(), group.next())
        #expect(executors.executor(for: first) === executors.executor(for: first))
        #expect(executors.executor(for: first) !== executors.executor(for: second))
        try group.syncShutdownGracefully()
    }

    private final class Tally: Sendable {
        private let counts = Mutex((count: 0, allOnLoop: true))

        var state: (count: Int, allOnLoop: Bool) { counts.withLock { $0 } }

        func add(onLoop: Bool) {
            counts.withLock { $0 = ($0.count + 1, $0.allOnLoop && onLoop) }
        }
    }
}
