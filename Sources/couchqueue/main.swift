import CouchQueueCLI
import CouchQueueEngine
import Foundation
import NIOCore
import NIOPosix

// One event loop per usable CPU. NIO sizes its loops by the machine's cores and cgroup quota,
// not by the affinity mask; two loops pinned to one CPU took turns on it, waking each other
// for every request (about a sixth of the throughput, measured with `taskset -c 0`). NIO's
// own variable, when set, still wins.
if ProcessInfo.processInfo.environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil, let usable = UsableCPUs.count,
    usable < System.coreCount
{
    NIOSingletons.groupLoopCountSuggestion = usable
}

// Swift concurrency runs on NIO's event loops: a request's handler and its I/O then share a
// thread instead of hopping between two pools on every request.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

await CouchQueueCommand.start()
