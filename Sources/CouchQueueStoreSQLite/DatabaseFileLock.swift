import Glibc
import Synchronization

/// An exclusive lock on the database file, held while the store is open.
///
/// One server owns an SQLite file: it keeps twins in memory, and its interests and wake-ups
/// reach only its own engine. A second server on the same file would silently break those
/// rules, so it is refused as it opens. (`flock` locks are apart from the POSIX locks SQLite
/// takes; the descriptor is closed only after SQLite's connections, since closing any
/// descriptor of a file drops the POSIX locks the process holds on it.)
final class DatabaseFileLock: Sendable {
    /// The locked descriptor, until it is released.
    private let descriptor: Mutex<Int32?>

    /// Refuses only a file another server holds: where the file system has no `flock`, the
    /// store opens unguarded, as it did before the lock existed (the descriptor still stays
    /// open until `release`, for SQLite's locks' sake).
    init(path: String) throws {
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { throw DatabaseFileLockError(path: path, reason: String(cString: strerror(errno))) }
        if flock(opened, LOCK_EX | LOCK_NB) != 0, errno == EWOULDBLOCK {
            Glibc.close(opened)
            throw DatabaseFileLockError(path: path, reason: "another CouchQueue server has it open")
        }
        descriptor = Mutex(opened)
    }

    /// Call it after every SQLite connection to the file is closed. A store that failed to
    /// open releases it as it goes.
    func release() {
        if let held = descriptor.withLock({ $0.take() }) { Glibc.close(held) }
    }

    deinit {
        release()
    }
}

struct DatabaseFileLockError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "cannot take the SQLite file \(path) for this server: \(reason)" }
}
