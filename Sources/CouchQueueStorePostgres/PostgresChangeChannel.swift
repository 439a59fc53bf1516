import CouchQueueStore
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// How servers sharing the database tell each other about changes, over `LISTEN`/`NOTIFY`.
///
/// Announcing: changes are sent after their transaction commits, coalesced into one
/// `NOTIFY` per kind of change in a batch (more if its keys do not fit one payload). A
/// `NOTIFY` takes a database-wide lock at commit, so one per publish would serialise every
/// publish behind it. Listening: one connection receives what every
/// server announced and passes it to the engine. A notification can be lost (a crash between
/// commit and announcement, a dropped connection), so after every (re)connection and every
/// `resyncInterval` it also says `.resync`, on which the engine reloads interests and wakes
/// every waiting worker. The listening connection is asked a `SELECT 1` every
/// `resyncInterval`: one that has silently stopped working (a network partition, a server
/// gone without a word) would otherwise never hear anything again, and is replaced once the
/// answer takes longer than the operation timeout. Announcements are bounded by it too.
///
/// The server runs it, next to the store's client, for as long as the store is open.
public final class PostgresChangeChannel: Service, Sendable {
    static let channel = "couchqueue_changes"
    private let client: PostgresClient
    private let operationTimeout: Duration
    private let logger: Logger
    private let resyncInterval: Duration = .seconds(5)
    private let subscribers = Mutex<[AsyncStream<StoreChange>.Continuation]>([])
    private let outbox = Mutex<[StoreChange]>([])
    private let outboxSignal: AsyncStream<Void>
    private let outboxSignalContinuation: AsyncStream<Void>.Continuation

    init(client: PostgresClient, operationTimeout: Duration, logger: Logger) {
        self.client = client
        self.operationTimeout = operationTimeout
        self.logger = logger
        (outboxSignal, outboxSignalContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues a change to announce; call it after the change has committed.
    func announce(_ change: StoreChange) {
        outbox.withLock { $0.append(change) }
        outboxSignalContinuation.yield()
    }

    func changes() -> AsyncStream<StoreChange> {
        let (stream, continuation) = AsyncStream<StoreChange>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        subscribers.withLock { $0.append(continuation) }
        return stream
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.listenUntilCancelled() }
            group.addTask { await self.resyncPeriodically() }
            group.addTask { await self.announceUntilCancelled() }
            await group.next()
            group.cancelAll()
        }
        subscribers.withLock { subscribers in
            for subscriber in subscribers { subscriber.finish() }
        }
    }

    private func listenUntilCancelled() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    // Checked from the start (the `LISTEN` itself may go unanswered) until the
                    // connection goes back to the pool. One that fails a check is closed, which
                    // ends `listen`.
                    try await withThrowingTaskGroup(of: Void.self) { checks in
                        checks.addTask {
                            do {
                                try await self.checkPeriodically(connection)
                            } catch where !Task.isCancelled {
                                try? await connection.close()
                                throw error
                            }
                        }
                        try await connection.listen(on: Self.channel) { notifications in
                            self.publish(.resync)
                            for try await notification in notifications {
                                if let change = Self.decode(notification.payload) { self.publish(change) }
                            }
                        }
                        checks.cancelAll()
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("lost the PostgreSQL notification connection; reconnecting", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Throws once `connection` fails a check: an error, or no answer in time (the watch has
    /// then closed it).
    private func checkPeriodically(_ connection: PostgresConnection) async throws {
        while true {
            try await Task.sleep(for: resyncInterval)
            try await OperationWatch.run(patience: PostgresStore.patience, timeout: operationTimeout) { [logger] watch in
                try await watch.holding(connection) { try await $0.run("SELECT 1", logger: logger) }
            }
        }
    }

    private func announceUntilCancelled() async {
        for await _ in outboxSignal {
            let batch = outbox.withLock { outbox in
                defer { outbox.removeAll() }
                return outbox
            }
            for payload in Self.coalesce(batch).flatMap(Self.payloads) {
                do {
                    try await PostgresStore.withConnection(client, operationTimeout: operationTimeout) { [logger] connection in
                        try await connection.run("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger)
                    }
                } catch {
                    logger.warning("could not announce a change; other servers catch up at their next resync", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// One change per kind: keys made available merged, due keys merged per due time.
    static func coalesce(_ changes: [StoreChange]) -> [StoreChange] {
        var available = Set<String>()
        var due: [Double: Set<String>] = [:]
        var result: [StoreChange] = []
        for change in changes {
            switch change {
            case .tasksAvailable(let keys): available.formUnion(keys)
            case .tasksDue(let keys, let time): due[time, default: []].formUnion(keys)
            case .interestsChanged, .resync: if !result.contains(change) { result.append(change) }
            }
        }
        if !available.isEmpty { result.append(.tasksAvailable(available.sorted())) }
        result += due.keys.sorted().map { .tasksDue(due[$0]!.sorted(), at: $0) }
        return result
    }

    private func resyncPeriodically() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: resyncInterval)
            publish(.resync)
        }
    }

    private func publish(_ change: StoreChange) {
        subscribers.withLock { subscribers in
            for subscriber in subscribers { subscriber.yield(change) }
        }
    }

    /// PostgreSQL refuses a payload of 8000 bytes or more (`payload string too long`).
    static let maxPayloadBytes = 7_999

    /// `interests`, `resync`, `tasks:KEY,KEY…` or `due:TIME:KEY,KEY…`, in as many payloads as
    /// the keys need to fit `maxPayloadBytes` (a scope `all` publish to hundreds of workers
    /// names each). A key (a queue name or an id) is far shorter than that.
    static func payloads(_ change: StoreChange) -> [String] {
        switch change {
        case .interestsChanged: ["interests"]
        case .tasksAvailable(let keys): packed("tasks:", keys)
        case .tasksDue(let keys, let time): packed("due:\(time):", keys)
        case .resync: ["resync"]
        }
    }

    private static func packed(_ prefix: String, _ keys: [String]) -> [String] {
        var payloads: [String] = []
        var payload = prefix
        for key in keys {
            if payload == prefix {
                payload += key
            } else if payload.utf8.count + 1 + key.utf8.count <= maxPayloadBytes {
                payload += "," + key
            } else {
                payloads.append(payload)
                payload = prefix + key
            }
        }
        return payloads + [payload]
    }

    /// Keys are queue names and worker ids, which may hold `:` but never `,`.
    static func decode(_ payload: String) -> StoreChange? {
        func split(_ text: Substring) -> [Substring] { text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false) }
        func keys(_ text: Substring) -> [String] { text.split(separator: ",").map(String.init) }
        let parts = split(payload[...])
        switch (parts.first, parts.count) {
        case ("interests", 1): return .interestsChanged
        case ("resync", 1): return .resync
        case ("tasks", 2): return .tasksAvailable(keys(parts[1]))
        case ("due", 2):
            let due = split(parts[1])
            guard due.count == 2, let time = Double(due[0]) else { return nil }
            return .tasksDue(keys(due[1]), at: time)
        default: return nil
        }
    }
}
