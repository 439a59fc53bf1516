import CouchQueueCLI
import NIOCore
import NIOPosix

// Swift concurrency runs on NIO's event loops: a request's handler and its I/O then share a
// thread instead of hopping between two pools on every request.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

await CouchQueueCommand.start()
