import Foundation

/// The CPUs this process may run on: its affinity mask (`taskset`, cpusets), read from
/// `/proc/self/status`. Foundation's processor count and NIO's core count ignore the mask,
/// and threads sized by them take turns on fewer CPUs than they think.
public enum UsableCPUs {
    /// nil where the mask cannot be read.
    public static let count: Int? = {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return nil }
        let count = line.dropFirst("Cpus_allowed:".count).reduce(0) { count, digit in
            count + (digit.hexDigitValue?.nonzeroBitCount ?? 0)
        }
        return count > 0 ? count : nil
    }()
}
