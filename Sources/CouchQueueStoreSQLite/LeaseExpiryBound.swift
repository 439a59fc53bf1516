import Synchronization

/// A time before which no started task's lease runs out, so that the lease expiry reads the
/// started tasks only once it has come, not on every maintenance pass.
///
/// A lease or a renewal lowers it to its own expiry, in the writer before its commit (one
/// rolled back leaves it lower than need be, which costs one pass for nothing). A pass that
/// expired what was due raises it to the earliest lease left; one that fails forgets it.
final class LeaseExpiryBound: Sendable {
    private let earliest = Mutex(-Double.infinity)

    func lower(to expiry: Double) {
        earliest.withLock { $0 = min($0, expiry) }
    }

    /// `nil`: no task is started.
    func reset(to expiry: Double?) {
        earliest.withLock { $0 = expiry ?? .infinity }
    }

    func forget() {
        earliest.withLock { $0 = -.infinity }
    }

    func mayHaveExpired(by now: Double) -> Bool {
        earliest.withLock { now >= $0 }
    }
}
