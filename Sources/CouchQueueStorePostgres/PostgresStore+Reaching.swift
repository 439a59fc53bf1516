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
/// waited for (they cannot be abandoned half-way), and a connection lost meanwhile makes the
/// outcome unknown: that too is `StoreUnavailable`.
extension PostgresStore {
    /// As long as one connection attempt may take (postgres-nio's `connectTimeout`).
    static let patience = Duration.seconds(10)

    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await reaching { claim in
            try await self.client.withConnection { connection in
                try claim()
                return try await body(connection)
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

    /// `operation` receives `claim`, to call as soon as it has its connection: past `patience`
    /// without one, the wait for a connection is cancelled, and a connection that comes just
    /// then is not used (`claim` throws).
    private func reaching<T: Sendable>(
        _ operation: @escaping @Sendable (_ claim: @escaping @Sendable () throws -> Void) async throws -> T
    ) async throws -> T {
        let phase = Mutex(ConnectionPhase.waiting)
        let claim: @Sendable () throws -> Void = {
            let claimed = phase.withLock { phase in
                if phase == .waiting { phase = .claimed }
                return phase == .claimed
            }
            if !claimed { throw StoreUnavailable("no connection to PostgreSQL within \(Self.patience)") }
        }
        // The operation runs in a task of its own, which the timer cancels while it waits for a
        // connection. (A task group racing it against `Task.sleep` cost a PostgreSQL drain
        // about a third more CPU per task.)
        let work = Task { try await operation(claim) }
        let timer = PostgresClient.defaultEventLoopGroup.any().scheduleTask(in: TimeAmount(Self.patience)) {
            if phase.withLock({ phase in
                if phase == .waiting { phase = .gaveUp }
                return phase == .gaveUp
            }) {
                work.cancel()  // the wait for a connection ends at once
            }
        }
        defer { timer.cancel() }
        do {
            return try await withTaskCancellationHandler { try await work.value } onCancel: { work.cancel() }
        } catch let error where phase.withLock({ $0 != .claimed }) && !(error is StoreUnavailable) {
            // Before its connection, nothing was done: whatever stopped it, it can be tried again.
            let gaveUp = phase.withLock { $0 == .gaveUp }
            throw StoreUnavailable(gaveUp ? "no connection to PostgreSQL within \(Self.patience)" : "no connection to PostgreSQL (\(error))")
        } catch let error where Self.isConnectionLoss(error) {
            throw StoreUnavailable("the connection to PostgreSQL was lost (\(error))")
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

/// Where an operation stands on its way to a connection.
private enum ConnectionPhase {
    case waiting, claimed, gaveUp
}
