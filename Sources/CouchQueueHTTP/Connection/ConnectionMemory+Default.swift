import Foundation

extension ConnectionMemory {
    /// A quarter of the memory the server may use, and at least 64 MiB: the machine's, or
    /// the lowest limit of its control groups (a container's, a systemd `MemoryMax=`) when
    /// that is lower.
    static let defaultLimit: Int = {
        let physical = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        return max(min(physical, controlGroupLimit() ?? .max) / 4, 64 << 20)
    }()

    /// The lowest memory limit of this process's control group and the groups above it, in
    /// version 2 (`memory.max`) or version 1 (`memory.limit_in_bytes`); nil if none is set.
    private static func controlGroupLimit() -> Int? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        var limits: [Int] = []
        for line in membership.split(separator: "\n") {
            // hierarchy:controllers:path; "0::path" is version 2.
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let (controllers, path) = (fields[1], String(fields[2]))
            if controllers.isEmpty {
                limits += limitsUp(from: path, under: "/sys/fs/cgroup", file: "memory.max")
            } else if controllers.split(separator: ",").contains("memory") {
                limits += limitsUp(from: path, under: "/sys/fs/cgroup/memory", file: "memory.limit_in_bytes")
            }
        }
        return limits.min()
    }

    /// The limits in `file` of the group at `path` and of each group above it, the root of
    /// the mount included (inside a container, the path may not exist under its mount).
    private static func limitsUp(from path: String, under mount: String, file: String) -> [Int] {
        var directories = [mount]
        var components = path.split(separator: "/")
        while !components.isEmpty {
            directories.append(mount + "/" + components.joined(separator: "/"))
            components.removeLast()
        }
        return directories.compactMap { directory in
            (try? String(contentsOfFile: directory + "/" + file, encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }
}
