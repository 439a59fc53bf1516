import Glibc

/// The process's open-file limit, which bounds the connections a server can hold: each one
/// takes a descriptor.
enum OpenFileLimit {
    /// Raises the soft limit to the hard one, as Go's runtime does at start (a soft limit of
    /// 1024 is common and low for a server), and answers the soft limit in force.
    static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// The connections to allow under `limit` descriptors: the rest (up to 256) are kept for
    /// the store's files and connections, the event loops and the runtime.
    static func connections(under limit: Int) -> Int {
        max(limit - min(256, limit / 2), 1)
    }
}
