import Glibc

/// The process's open-file limit, which bounds the connections a server can hold: each one
/// takes a descriptor.
///
/// Past the limit, `accept` fails (EMFILE) while the listening socket stays readable, and
/// NIO, whose read was already pending, calls it again at once: the event loop spins on a
/// core until a connection closes. So connections are capped below the limit (`ConnectionCap`).
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

    /// The connections to allow under `limit` descriptors. The rest are kept for the server's
    /// own: 256, plus a few per event loop (epoll, eventfd, timerfd) and one per connection to
    /// PostgreSQL; at most half the limit.
    static func connections(under limit: Int, eventLoops: Int, storeConnections: Int) -> Int {
        let reserved = min(256 + 4 * eventLoops + storeConnections, limit / 2)
        return max(limit - reserved, 1)
    }
}
