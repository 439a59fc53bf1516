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
/// and a look at the clock. The connections are looked through only when the ones not being
/// closed hold more than the limit, and ranked once however many must close. (They used to be
/// looked through on every change while past the limit, and once more for each connection
/// closed: with thousands of connections, work growing with the square of their number, on
/// the event loops, under one lock.)
final class ConnectionMemory: Sendable {
    let limit: Int
    private let total = Atomic<Int>(0)
    private let accounts = Mutex(Accounts())
    private let logger: Logger

    private struct Accounts {
        var open: [ObjectIdentifier: Entry] = [:]
        /// What the connections being closed hold: as good as given back.
        var closingHeld = 0
        var closed = 0
        /// How many times the connections were looked through (for tests).
        var looks = 0
        var lastWarning: ContinuousClock.Instant?
    }

    private struct Entry {
        let account: Account
        /// Set once its connection is chosen to be closed: its part of `closingHeld`.
        var closingHeld: Int?
    }

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    /// What all connections hold now.
    var held: Int { total.load(ordering: .relaxed) }
    /// How many connections were closed past the limit.
    var closed: Int { accounts.withLock { $0.closed } }
    /// How many times the connections were looked through for ones to close (for tests).
    var looks: Int { accounts.withLock { $0.looks } }

    /// An account for a new connection; `close` closes the connection.
    func open(close: @escaping @Sendable () -> Void) -> Account {
        let account = Account(memory: self, close: close)
        accounts.withLock { $0.open[ObjectIdentifier(account)] = Entry(account: account, closingHeld: nil) }
        return account
    }

    fileprivate func add(_ bytes: Int) {
        let now = total.add(bytes, ordering: .relaxed).newValue
        if bytes > 0, now > limit { closeWhileOver() }
    }

    /// A change of a connection being closed: it is counted with those, and closes no other.
    fileprivate func addClosing(_ bytes: Int, of account: Account) {
        total.add(bytes, ordering: .relaxed)
        accounts.withLock { accounts in
            let key = ObjectIdentifier(account)
            guard let counted = accounts.open[key]?.closingHeld else { return }
            accounts.open[key]?.closingHeld = counted + bytes
            accounts.closingHeld += bytes
        }
    }

    fileprivate func remove(_ account: Account) {
        accounts.withLock { accounts in
            let entry = accounts.open.removeValue(forKey: ObjectIdentifier(account))
            accounts.closingHeld -= entry?.closingHeld ?? 0
        }
    }

    /// Closes connections, most bytes held longest first, until the others hold no more than
    /// the limit. Connections already closing count as gone, so that one passing of the limit
    /// does not close another connection for every change until those closes land. A
    /// warning says so, at most once a minute.
    private func closeWhileOver() {
        let (closing, warning) = accounts.withLock { accounts -> ([Account], Int?) in
            var held = total.load(ordering: .relaxed) - accounts.closingHeld
            guard held > limit else { return ([], nil) }
            accounts.looks += 1
            let now = NIODeadline.now().uptimeNanoseconds
            let ranked = accounts.open.compactMap { key, entry -> (key: ObjectIdentifier, held: Int, stall: Double)? in
                let bytes = entry.account.held
                return entry.closingHeld == nil && bytes > 0 ? (key, bytes, entry.account.stall(at: now)) : nil
            }.sorted { $0.stall > $1.stall }
            var closing: [Account] = []
            for candidate in ranked {
                guard held > limit, let account = accounts.open[candidate.key]?.account else { break }
                account.markClosing()
                accounts.open[candidate.key]?.closingHeld = candidate.held
                accounts.closingHeld += candidate.held
                held -= candidate.held
                closing.append(account)
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
        /// Chosen to be closed past the limit (`closeWhileOver`).
        private let isClosing = Atomic<Bool>(false)
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
            if isClosing.load(ordering: .relaxed) { memory.addClosing(change, of: self) } else { memory.add(change) }
        }

        fileprivate func markClosing() {
            isClosing.store(true, ordering: .relaxed)
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
