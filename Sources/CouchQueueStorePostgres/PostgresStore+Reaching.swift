import CouchQueueStore
import PostgresNIO
import _ConnectionPoolModule

/// Every operation a request asks of the store reaches PostgreSQL through these, so that none
/// waits for it without end. While PostgreSQL is down, postgres-nio's pool holds requests for
/// a connection until its circuit breaker opens, a minute after its first failure: each
/// request hung that long and then failed as an internal error. Now it waits `patience` at
/// most (a statement already sent is waited for until its connection fails: it cannot be
/// abandoned mid-way), and a PostgreSQL that cannot be reached is `StoreUnavailable`, a 503
/// that says to try again.
extension PostgresStore {
    /// As long as one connection attempt may take (postgres-nio's `connectTimeout`).
    static let patience = Duration.seconds(10)

    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await reaching { try await self.client.withConnection(body) }
    }

    func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await reaching { try await self.client.query(query, logger: self.logger) }
    }

    /// Runs `body` in one transaction; a domain refusal from `body` (rolled back) is thrown as it is.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await reaching {
            do {
                return try await self.client.withTransaction(logger: self.logger) { connection in try await body(connection) }
            } catch let error as PostgresTransactionError {
                if let refusal = error.closureError as? StoreError, error.rollbackError == nil { throw refusal }
                throw error
            }
        }
    }

    private func reaching<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await operation() }
                group.addTask {
                    try await Task.sleep(for: Self.patience)
                    return nil
                }
                defer { group.cancelAll() }
                guard let result = try await group.next(), let value = result else {
                    throw StoreUnavailable("PostgreSQL did not answer within \(Self.patience)")
                }
                return value
            }
        } catch let error as PSQLError where Self.unreachableCodes.contains(error.code) {
            throw StoreUnavailable("PostgreSQL cannot be reached (\(error.code))")
        } catch let error as ConnectionPoolError where error == .connectionCreationCircuitBreakerTripped {
            throw StoreUnavailable("PostgreSQL cannot be reached (no connection for a minute)")
        }
    }

    /// The connection failed or was lost, rather than PostgreSQL refusing the statement.
    private static let unreachableCodes: [PSQLError.Code] = [.connectionError, .serverClosedConnection, .uncleanShutdown]
}
