@testable import CouchQueueHTTP
import Dispatch
import NIOPosix
import Testing

/// A request's task runs on its connection's event loop, also after a store call answers on
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
}
