import CouchQueueStore
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Listens on one connection for the changes other servers announce and passes them to the
/// engine. A notification can be lost (a dropped connection); so after every (re)connection
/// and every `resyncInterval` it also says `.resync`, on which the engine reloads interests
/// and wakes every waiting worker.
///
/// The server runs it, next to the store's client, for as long as the store is open.
public final class PostgresChangeListener: Service, Sendable {
    static let channel = "couchqueue_changes"
    private let client: PostgresClient
    private let logger: Logger
    private let resyncInterval: Duration = .seconds(5)
    private let subscribers = Mutex<[AsyncStream<StoreChange>.Continuation]>([])

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
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
                    let notifications = try await connection.listen(Self.channel)
                    self.publish(.resync)
                    for try await notification in notifications {
                        if let change = Self.decode(notification.payload) { self.publish(change) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("lost the PostgreSQL notification connection; reconnecting", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
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

    /// `interests`, `resync`, `tasks:KEY,KEY…` or `due:TIME:KEY,KEY…` (keys are queue names and
    /// worker ids, which hold neither a comma nor a colon).
    static func encode(_ change: StoreChange) -> String {
        switch change {
        case .interestsChanged: "interests"
        case .tasksAvailable(let keys): "tasks:" + keys.joined(separator: ",")
        case .tasksDue(let keys, let time): "due:\(time):" + keys.joined(separator: ",")
        case .resync: "resync"
        }
    }

    static func decode(_ payload: String) -> StoreChange? {
        let parts = payload.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        func keys(_ text: Substring) -> [String] { text.split(separator: ",").map(String.init) }
        switch (parts.first, parts.count) {
        case ("interests", 1): return .interestsChanged
        case ("resync", 1): return .resync
        case ("tasks", 2): return .tasksAvailable(keys(parts[1]))
        case ("due", 3): return Double(parts[1]).map { .tasksDue(keys(parts[2]), at: $0) }
        default: return nil
        }
    }
}
