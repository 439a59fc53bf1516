import CouchQueueCLI
import Foundation
import NIOCore
import NIOPosix

/// The CPUs this process may run on (its affinity mask: `taskset`, cpusets), from
/// `/proc/self/status`; nil where that cannot be read.
func usableCPUCount() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
    else { return nil }
    let count = line.dropFirst("Cpus_allowed:".count).reduce(0) { count, digit in
        count + (digit.hexDigitValue?.nonzeroBitCount ?? 0)
    }
    return count > 0 ? count : nil
}

// One event loop per usable CPU. NIO sizes its loops by the machine's cores and cgroup quota,
// not by the affinity mask; two loops pinned to one CPU took turns on it, waking each other
// for every request (about a sixth of the throughput, measured with `taskset -c 0`). NIO's
// own variable, when set, still wins.
if ProcessInfo.processInfo.environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil, let usable = usableCPUCount(),
    usable < System.coreCount
{
    NIOSingletons.groupLoopCountSuggestion = usable
}

// Swift concurrency runs on NIO's event loops: a request's handler and its I/O then share a
// thread instead of hopping between two pools on every request.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

await CouchQueueCommand.start()
