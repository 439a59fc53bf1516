import CouchQueueStore
import PostgresNIO

/// Every operation a request asks of the store reaches PostgreSQL through these, so that none
/// waits for a connection without end, and a PostgreSQL that cannot be reached is
/// `StoreUnavailable` (a 503 that says to try again) rather than an internal error.
///
/// While PostgreSQL is down, postgres-nio's pool holds requests for a connection until its
/// circuit breaker opens, a minute after its first failure. Here a request waits `patience`
/// for its connection at most, and then does nothing. Once it has one, its statements are
/// waited for, up to `operationTimeout`; a connection lost meanwhile, or closed at the
/// timeout, makes the outcome unknown: `StoreUnavailable` too. postgres-nio never answers a
/// statement written to a connection that has just closed (vapor/postgres-nio#487,
/// reverted): an operation whose connection has been closed for a second is answered without
/// waiting for it any longer, and left behind.
extension PostgresStore {
    /// As long as one connection attempt may take (postgres-nio's `connectTimeout`).
    static let patience = Duration.seconds(10)

    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.withConnection(client, operationTimeout: operationTimeout, body)
    }

    /// `withConnection` for what runs beside the store on its client (`PostgresChangeChannel`).
    static func withConnection<T: Sendable>(
        _ client: PostgresClient, operationTimeout: Duration, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await OperationWatch.run(patience: patience, timeout: operationTimeout) { watch in
            try await client.withConnection { connection in
                try await watch.holding(connection) { connection in
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

    /// Before its connection, nothing was done: whatever stopped an operation, it can be
    /// tried again. After, only a connection lost is the store's being out of reach.
    static func unavailability(of error: any Error, claimed: Bool) -> StoreUnavailable? {
        switch error {
        case let error as StoreUnavailable: error
        case _ where !claimed: StoreUnavailable("no connection to PostgreSQL (\(error))")
        case _ where isConnectionLoss(error): StoreUnavailable("the connection to PostgreSQL was lost (\(error))")
        case _ where sqlState(of: error) == "57014":
            StoreUnavailable("PostgreSQL cancelled a statement that ran past the operation timeout (\(error))")
        case _ where sqlState(of: error) == "40P01":
            StoreUnavailable("PostgreSQL broke a deadlock by rolling this operation back (\(error))")
        default: nil
        }
    }

    /// The server's SQLSTATE for a statement it refused, else nil.
    static func sqlState(of error: (any Error)?) -> String? {
        guard let error = error as? PSQLError, error.code == .server else { return nil }
        return error.serverInfo?[.sqlState]
    }

    /// A connection refused, lost or closed by a shutting-down server (SQLSTATE class 08 and
    /// 57P01-57P03) or after idling in a transaction (25P03, `serverSideLimits`), or a server
    /// that has become a read-only replica (25006, a failover).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection: return true
        case .server:
            let state = sqlState(of: error) ?? ""
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "25P03", "25006"].contains(state)
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
