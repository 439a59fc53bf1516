import CouchQueueStore
import PostgresNIO
import Synchronization

/// Every operation a request asks of the store reaches PostgreSQL through these, so that none
/// waits for a connection without end, and a PostgreSQL that cannot be reached is
/// `StoreUnavailable` (a 503 that says to try again) rather than an internal error.
///
/// While PostgreSQL is down, postgres-nio's pool holds requests for a connection until its
/// circuit breaker opens, a minute after its first failure. Here a request waits `patience`
/// for its connection at most, and then does nothing. Once it has one, its statements are
/// waited for, and a connection lost meanwhile makes the outcome unknown: `StoreUnavailable`
/// too. postgres-nio never answers a statement written to a connection that has just closed
/// (vapor/postgres-nio#487, reverted): an operation whose connection has been closed for a
/// second is answered without waiting for it any longer, and left behind.
extension PostgresStore {
    /// As long as one connection attempt may take (postgres-nio's `connectTimeout`).
    static let patience = Duration.seconds(10)

    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await reaching { claim in
            try await self.client.withConnection { connection in
                try claim(connection)
                do {
                    return try await body(connection)
                } catch where Self.isConnectionLoss(error) {
                    // A server turned standby (25006) keeps refusing writes on this connection.
                    try? await connection.close()
                    throw error
                }
            }
        }
    }

    /// Runs `query` and reads its rows, all of them (the store's answers are small).
    func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await withConnection { [logger] connection in try await connection.query(query, logger: logger).collect() }
    }

    /// Runs `body` in one transaction; a domain refusal from `body` (rolled back) is thrown as
    /// it is. Not postgres-nio's `withTransaction`: postgres-nio never answers a statement sent
    /// on a closed connection (vapor/postgres-nio#487, reverted), so its `ROLLBACK` after a
    /// connection lost in `body` hung the request for good. The server rolls back the
    /// transaction of a connection that is gone; one that failed to roll back is closed, not
    /// handed to the next request in the middle of a transaction.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { [logger] connection in
            try await connection.query("BEGIN", logger: logger)
            let value: T
            do {
                value = try await body(connection)
            } catch {
                if !connection.isClosed {
                    do { try await connection.query("ROLLBACK", logger: logger) } catch { try? await connection.close() }
                }
                throw error
            }
            guard !connection.isClosed else { throw StoreUnavailable("the connection to PostgreSQL was lost before COMMIT") }
            try await connection.query("COMMIT", logger: logger)
            return value
        }
    }

    /// `operation` receives `claim`, to call with its connection as soon as it has one (see
    /// `OperationWatch`). Errors become `StoreUnavailable` where the store could not be reached.
    private func reaching<T: Sendable>(
        _ operation: @escaping @Sendable (_ claim: @escaping @Sendable (PostgresConnection) throws -> Void) async throws -> T
    ) async throws -> T {
        let watch = OperationWatch<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let work = Task {
                    do {
                        watch.answer(.success(try await operation(watch.claim)))
                    } catch {
                        watch.answer(.failure(Self.unavailability(of: error, claimed: watch.claimed) ?? error))
                    }
                }
                watch.start(continuation, work: work, on: PostgresClient.defaultEventLoopGroup.any(), patience: Self.patience)
            }
        } onCancel: {
            watch.cancel()
        }
    }

    /// Before its connection, nothing was done: whatever stopped an operation, it can be
    /// tried again. After, only a connection lost is the store's being out of reach.
    private static func unavailability(of error: any Error, claimed: Bool) -> StoreUnavailable? {
        switch error {
        case let error as StoreUnavailable: error
        case _ where !claimed: StoreUnavailable("no connection to PostgreSQL (\(error))")
        case _ where isConnectionLoss(error): StoreUnavailable("the connection to PostgreSQL was lost (\(error))")
        default: nil
        }
    }

    /// A connection refused, lost or closed by a shutting-down server (SQLSTATE class 08 and
    /// 57P01-57P03), or a server that has become a read-only replica (25006, a failover).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection: return true
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "25006"].contains(state)
        default: return false
        }
    }
}

extension [PostgresRow] {
    /// The rows' columns as `types`, as `PostgresRowSequence.decode` reads them.
    func decode<each Column: PostgresDecodable>(_ types: (repeat each Column).Type) throws -> [(repeat each Column)] {
        try map { try $0.decode(types) }
    }
}

/// One operation's way to PostgreSQL, watched once a second on an event loop:
/// - while it waits for a connection, it is cancelled once `patience` has passed, and a
///   connection that comes just then is not used (`claim` throws);
/// - once it has one, it is waited for, unless the connection has been closed for a second
///   (two ticks): its caller is then answered, and the operation left to postgres-nio.
/// The caller is answered once, by whichever comes first.
private final class OperationWatch<T: Sendable>: Sendable {
    private enum Phase {
        case waiting(ticks: Int)
        case claimed(PostgresConnection, closedTicks: Int)
        case answered
    }

    private struct State {
        var phase = Phase.waiting(ticks: 0)
        var claimed = false
        var cancelled = false
        var work: Task<Void, Never>?
        var ticker: RepeatedTask?
        var continuation: CheckedContinuation<T, any Error>?
        /// The answer, when it came before `start`.
        var early: Result<T, any Error>?

        /// Marks the caller answered, unless it was, and hands over what answering it takes.
        /// In the same critical section as the decision to answer, so that no `claim` slips in.
        mutating func answering(_ result: Result<T, any Error>) -> Answering? {
            if case .answered = phase { return nil }
            phase = .answered
            guard let continuation else {
                early = result
                return nil
            }
            defer { (self.continuation, ticker) = (nil, nil) }
            return Answering(continuation: continuation, ticker: ticker, result: result)
        }
    }

    private struct Answering {
        let continuation: CheckedContinuation<T, any Error>
        let ticker: RepeatedTask?
        let result: Result<T, any Error>

        func resume() {
            ticker?.cancel()
            continuation.resume(with: result)
        }
    }

    private let state = Mutex(State())

    /// Whether the operation got its connection.
    var claimed: Bool {
        state.withLock { $0.claimed }
    }

    func start(_ continuation: CheckedContinuation<T, any Error>, work: Task<Void, Never>, on loop: any EventLoop, patience: Duration) {
        let ticks = Int(patience.components.seconds)
        let ticker = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in tick(patience: ticks) }
        let (early, cancelled) = state.withLock { state in
            state.work = work
            if state.early == nil {
                state.continuation = continuation
                state.ticker = ticker
            }
            return (state.early, state.cancelled)
        }
        if cancelled { work.cancel() }
        if let early {
            ticker.cancel()
            continuation.resume(with: early)
        }
    }

    @Sendable func claim(_ connection: PostgresConnection) throws {
        let claimed = state.withLock { state in
            guard case .waiting = state.phase else { return false }
            state.phase = .claimed(connection, closedTicks: 0)
            state.claimed = true
            return true
        }
        guard claimed else { throw CancellationError() }  // the caller was answered meanwhile
    }

    func cancel() {
        let work = state.withLock { state in
            state.cancelled = true
            return state.work
        }
        work?.cancel()
    }

    /// Answers the caller, unless it has been answered.
    func answer(_ result: Result<T, any Error>) {
        state.withLock { $0.answering(result) }?.resume()
    }

    private enum Verdict {
        case wait, gaveUp(Answering?, Task<Void, Never>?), abandon
    }

    private func tick(patience: Int) {
        let verdict = state.withLock { state -> Verdict in
            switch state.phase {
            case .waiting(let ticks) where ticks + 1 >= patience:
                let answering = state.answering(.failure(StoreUnavailable("no connection to PostgreSQL within \(patience) seconds")))
                return .gaveUp(answering, state.work)
            case .waiting(let ticks):
                state.phase = .waiting(ticks: ticks + 1)
                return .wait
            case .claimed(let connection, let closedTicks) where connection.isClosed:
                state.phase = .claimed(connection, closedTicks: closedTicks + 1)
                return closedTicks + 1 >= 2 ? .abandon : .wait
            case .claimed, .answered:
                return .wait
            }
        }
        switch verdict {
        case .wait: break
        case .gaveUp(let answering, let work):
            answering?.resume()
            work?.cancel()  // its wait for a connection ends at once
        case .abandon: answer(.failure(StoreUnavailable("the connection to PostgreSQL was lost, and its statement never answered")))
        }
    }
}
