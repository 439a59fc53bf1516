import Logging
import NIOCore
import Synchronization

/// Bounds the memory that all connections together hold for requests and answers in flight:
/// requests received and not yet answered, and answers the kernel has not taken
/// (`ConnectionHeldBytes`). Past the limit, connections are closed until the others hold
/// less, first the one that holds the most bytes for the longest: by what it holds times how
/// long its client has neither sent nor read anything. A client that sends or reads promptly
/// is closed last, however large its request or answer; one that waits on a long poll holds
/// too little to be closed before the stalled ones.
///
/// One connection is bounded already (the body limit, one answer in service, reads held while
/// its answers are unread); thousands of them were not: 4,000 clients that each asked for a
/// task of 1 MB and read nothing took the server to 1.9 GB. A change is two atomic additions
/// and a look at the clock; the connections are looked through only past the limit.
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
    /// How many connections were closed past the limit.
    var closed: Int { accounts.withLock { $0.closed } }

    /// An account for a new connection; `close` closes the connection.
    func open(close: @escaping @Sendable () -> Void) -> Account {
        let account = Account(memory: self, close: close)
        accounts.withLock { $0.open[ObjectIdentifier(account)] = Entry(account: account) }
        return account
    }

    fileprivate func add(_ bytes: Int) {
        let now = total.add(bytes, ordering: .relaxed).newValue
        if bytes > 0, now > limit { closeWhileOver() }
    }

    fileprivate func remove(_ account: Account) {
        _ = accounts.withLock { $0.open.removeValue(forKey: ObjectIdentifier(account)) }
    }

    /// Closes connections, most bytes held longest first, until the others hold no more than
    /// the limit. Connections already closing count as gone, so that one passing of the limit
    /// does not close another connection for every change until those closes land. A
    /// warning says so, at most once a minute.
    private func closeWhileOver() {
        let (closing, warning) = accounts.withLock { accounts -> ([Account], Int?) in
            var held = total.load(ordering: .relaxed)
            for entry in accounts.open.values where entry.closing { held -= entry.account.held }
            var closing: [Account] = []
            let now = NIODeadline.now().uptimeNanoseconds
            while held > limit {
                let candidates = accounts.open.lazy.filter { !$0.value.closing && $0.value.account.held > 0 }
                guard let (key, entry) = candidates.max(by: { $0.value.account.stall(at: now) < $1.value.account.stall(at: now) }) else { break }
                accounts.open[key]?.closing = true
                held -= entry.account.held
                closing.append(entry.account)
            }
            accounts.closed += closing.count
            let instant = ContinuousClock.now
            guard !closing.isEmpty, accounts.lastWarning.map({ instant - $0 >= .seconds(60) }) ?? true else { return (closing, nil) }
            accounts.lastWarning = instant
            return (closing, accounts.closed)
        }
        for account in closing { account.closeConnection() }
        if let warning {
            logger.warning(
                "connections held more than \(limit) bytes of requests and unread answers: the ones holding the most for the longest are closed (\(warning) so far; --connection-memory sets the limit)")
        }
    }

    /// What one connection holds. Changed and closed on its event loop; read by any thread
    /// that passes the limit.
    final class Account: Sendable {
        private let memory: ConnectionMemory
        private let bytes = Atomic<Int>(0)
        private let progress = Atomic<UInt64>(NIODeadline.now().uptimeNanoseconds)
        private let isClosed = Atomic<Bool>(false)
        fileprivate let closeConnection: @Sendable () -> Void

        fileprivate init(memory: ConnectionMemory, close: @escaping @Sendable () -> Void) {
            self.memory = memory
            self.closeConnection = close
        }

        var held: Int { bytes.load(ordering: .relaxed) }

        /// What it holds times how long its client has neither sent nor read anything (in
        /// bytes × milliseconds, from 1 ms so that a client that just did still counts its
        /// bytes), at `now` (uptime in nanoseconds).
        fileprivate func stall(at now: UInt64) -> Double {
            let since = progress.load(ordering: .relaxed)
            return Double(held) * (Double(now &- min(since, now)) / 1e6 + 1)
        }

        /// Holds `change` more bytes (fewer if negative); `progress` when its client sent or
        /// read them. Nothing once the connection is gone.
        func change(by change: Int, progress madeProgress: Bool) {
            guard !isClosed.load(ordering: .relaxed) else { return }
            if madeProgress { progress.store(NIODeadline.now().uptimeNanoseconds, ordering: .relaxed) }
            guard change != 0 else { return }
            bytes.add(change, ordering: .relaxed)
            memory.add(change)
        }

        /// Gives back everything, once the connection is gone: first from the total, then
        /// from the accounts, so that no look through them meanwhile counts it as held.
        func connectionClosed() {
            guard !isClosed.exchange(true, ordering: .relaxed) else { return }
            memory.add(-bytes.exchange(0, ordering: .relaxed))
            memory.remove(self)
        }
    }
}
