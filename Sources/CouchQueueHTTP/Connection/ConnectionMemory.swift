import Foundation
import Logging
import Synchronization

/// Bounds the memory that all connections together hold for requests and answers in flight:
/// the bodies of requests received and not yet answered, and answers written and not yet
/// taken by the kernel. Past the limit, the connection that holds the most is closed, as
/// Redis's `maxmemory-clients` evicts clients: it is the one sending, or asking for and not
/// reading, the most.
///
/// One connection is bounded already (the body limit, one answer in service, reads held while
/// its answers are unread); thousands of them were not: 4,000 clients that each asked for a
/// task of 1 MB and read nothing took the server to 1.9 GB. A change is two atomic additions;
/// the connections are looked through only when the limit is passed.
final class ConnectionMemory: Sendable {
    let limit: Int
    private let total = Atomic<Int>(0)
    private let accounts = Mutex(Accounts())
    private let logger: Logger

    private struct Accounts {
        var open: [ObjectIdentifier: Entry] = [:]
        var closed = 0
        var lastWarning: ContinuousClock.Instant?
    }

    private struct Entry {
        let account: Account
        /// Its connection is being closed: what it holds is as good as given back.
        var closing = false
    }

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    /// What all connections hold now.
    var held: Int { total.load(ordering: .relaxed) }
    /// How many connections were closed for holding the most.
    var closed: Int { accounts.withLock { $0.closed } }

    /// An account for a new connection; `close` closes the connection when it holds the most
    /// past the limit.
    func open(close: @escaping @Sendable () -> Void) -> Account {
        let account = Account(memory: self, close: close)
        accounts.withLock { $0.open[ObjectIdentifier(account)] = Entry(account: account) }
        return account
    }

    fileprivate func add(_ bytes: Int) {
        let now = total.add(bytes, ordering: .relaxed).newValue
        if bytes > 0, now > limit { evictIfOver() }
    }

    fileprivate func remove(_ account: Account) {
        _ = accounts.withLock { $0.open.removeValue(forKey: ObjectIdentifier(account)) }
    }

    /// Closes the connection that holds the most, unless what the others hold is within the
    /// limit. Connections already closing count as gone, so that one passing of the limit
    /// closes one connection, not one for every change until that close lands; and one is
    /// enough, since the change that passed the limit was at most what its own connection
    /// holds. A warning says so, at most once a minute.
    private func evictIfOver() {
        let (closing, warning) = accounts.withLock { accounts -> (Account?, Int?) in
            var held = total.load(ordering: .relaxed)
            for entry in accounts.open.values where entry.closing { held -= entry.account.held }
            guard held > limit,
                let (key, largest) = accounts.open.lazy.filter({ !$0.value.closing }).max(by: { $0.value.account.held < $1.value.account.held })
            else { return (nil, nil) }
            accounts.open[key]?.closing = true
            accounts.closed += 1
            let now = ContinuousClock.now
            guard accounts.lastWarning.map({ now - $0 >= .seconds(60) }) ?? true else { return (largest.account, nil) }
            accounts.lastWarning = now
            return (largest.account, accounts.closed)
        }
        closing?.closeConnection()
        if let warning {
            logger.warning(
                "connections held more than \(limit) bytes of requests and unread answers: the one holding the most is closed (\(warning) so far; --connection-memory sets the limit)")
        }
    }

    /// What one connection holds. Changed and closed on its event loop; read by any thread
    /// that passes the limit.
    final class Account: Sendable {
        private let memory: ConnectionMemory
        private let bytes = Atomic<Int>(0)
        private let isClosed = Atomic<Bool>(false)
        fileprivate let closeConnection: @Sendable () -> Void

        fileprivate init(memory: ConnectionMemory, close: @escaping @Sendable () -> Void) {
            self.memory = memory
            self.closeConnection = close
        }

        var held: Int { bytes.load(ordering: .relaxed) }

        /// Holds `change` more bytes (fewer if negative); nothing once the connection is gone.
        func change(by change: Int) {
            guard change != 0, !isClosed.load(ordering: .relaxed) else { return }
            bytes.add(change, ordering: .relaxed)
            memory.add(change)
        }

        /// Gives back everything, once the connection is gone.
        func connectionClosed() {
            guard !isClosed.exchange(true, ordering: .relaxed) else { return }
            memory.remove(self)
            memory.add(-bytes.exchange(0, ordering: .relaxed))
        }
    }

    /// A quarter of the memory the server may use: the machine's, or its control group's
    /// limit (a container's) when that is lower.
    static let defaultLimit: Int = {
        let physical = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        let group = (try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return max(min(physical, group ?? .max) / 4, 64 << 20)
    }()
}
