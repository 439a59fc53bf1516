import Synchronization

/// The interests version as last committed, kept in memory: this server is the file's only
/// writer (`DatabaseFileLock`), so it sees every change itself. A publish that no queue wants
/// asks for the version to check its routing; reading it from the file cost a reader
/// connection and a transaction, about 150 µs, three times what storing a task costs.
///
/// A change is noted once its write has committed, never from inside it: a savepoint rolled
/// back would otherwise leave a version the file never had. Until it is noted, the version
/// read is the one before, as if the change had come after the reader's publish; its own
/// request is answered only after.
final class CommittedInterestsVersion: Sendable {
    private let version: Mutex<Int64>

    init(_ version: Int64) {
        self.version = Mutex(version)
    }

    var value: Int64 {
        version.withLock { $0 }
    }

    /// Changes whose writes finish out of order keep the latest.
    func note(_ committed: Int64) {
        version.withLock { $0 = max($0, committed) }
    }
}
