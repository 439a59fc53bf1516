@testable import CouchQueueHTTP
import Dispatch
import NIOPosix
import Testing

/// A request's task runs on its connection's event loop, also after a store call answers on
/// another thread: the connection's state is touched there without a hop.
@Suite struct EventLoopTaskExecutorTests {
    @Test func aTaskResumesOnItsEventLoopAfterAnAnswerFromAnotherThread() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let executor = EventLoopTaskExecutor(loop)
        let onLoop = await Task(executorPreference: executor) {
            var before = loop.inEventLoop
            for _ in 0..<3 {
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().async { continuation.resume() }
                }
                before = before && loop.inEventLoop
            }
            return before
        }.value
        #expect(onLoop)
        try await group.shutdownGracefully()
    }
}
