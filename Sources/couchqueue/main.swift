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

// Swift's global executor stays Dispatch's pool. NIO's call that would install the event loops
// in its place finds Swift's hook through the dynamic linker, which cannot see it in a runtime
// linked into the executable (Package.swift). What is hot runs on the loops anyway: a
// connection's task and a bench lane prefer their loop as executor (`EventLoopTaskExecutor`).
await CouchQueueCommand.start()
