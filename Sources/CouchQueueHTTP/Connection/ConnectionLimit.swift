import Dispatch
import Logging
import Synchronization

/// Bounds the connections served at once, below the process's open-file limit.
///
/// A connection over the bound is accepted and closed at once. Were it left waiting to be
/// accepted instead, the listening socket would stay readable while `accept` failed for lack
/// of a descriptor, and the event loop, which NIO keeps reading it, would spin on a core
/// until a connection closed.
final class ConnectionLimit: Sendable {
    let maximum: Int
    private let open = Atomic<Int>(0)
    /// When a refusal was last logged, in whole seconds of uptime (at most one every 10 s).
    private let lastWarning = Atomic<Int>(-10)

    init(maximum: Int) {
        self.maximum = maximum
    }

    /// Counts a new connection in, or answers false when `maximum` are open already.
    func admit(logger: Logger) -> Bool {
        let (admitted, _) = open.add(1, ordering: .relaxed)
        guard admitted > maximum else { return true }
        open.subtract(1, ordering: .relaxed)
        warn(logger)
        return false
    }

    /// Counts a closed connection out.
    func release() {
        open.subtract(1, ordering: .relaxed)
    }

    private func warn(_ logger: Logger) {
        let now = Int(DispatchTime.now().uptimeNanoseconds / 1_000_000_000)
        let last = lastWarning.load(ordering: .relaxed)
        guard now - last >= 10, lastWarning.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged else { return }
        logger.warning(
            "closing new connections: \(maximum) are open, the most this server holds (it follows the open-file limit, ulimit -n)")
    }
}
