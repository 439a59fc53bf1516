import CouchQueueModel
import CouchQueueStore
import Logging
import PostgresNIO

/// The clustered store: any number of servers share one PostgreSQL database.
///
/// Each method is one transaction. Leases take rows with `FOR UPDATE SKIP LOCKED`, so servers
/// never contend on one row nor hand out one task twice; changes that other servers must
/// react to are announced with `NOTIFY` (see `PostgresChangeListener`).
///
/// `client` and `listener` are services: run them before calling `migrate()` and the rest.
public final class PostgresStore: QueueStore {
    public let client: PostgresClient
    public let listener: PostgresChangeListener
    let logger: Logger

    public init(location: PostgresLocation, poolSize: Int, logger: Logger) {
        self.client = PostgresClient(configuration: location.clientConfiguration(poolSize: poolSize), backgroundLogger: logger)
        self.listener = PostgresChangeListener(client: client, logger: logger)
        self.logger = logger
    }

    /// Brings the schema up to date; safe when several servers start at once.
    public func migrate() async throws {
        try await PostgresMigrations.migrate(client, logger: logger)
    }

    public func ping() async throws {
        try await client.query("SELECT 1", logger: logger)
    }

    public func changes() -> AsyncStream<StoreChange> {
        listener.changes()
    }

    /// Commits are synchronous (PostgreSQL's `synchronous_commit`), so there is nothing to flush.
    public func close() async throws {}

    /// Runs `body` in one transaction; a domain refusal from `body` (rolled back) is thrown as it is.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            if let refusal = error.closureError as? StoreError, error.rollbackError == nil { throw refusal }
            throw error
        }
    }

    /// Announces a change to every server listening (sent when the transaction commits).
    static func notify(_ connection: PostgresConnection, _ change: StoreChange, logger: Logger) async throws {
        let payload = PostgresChangeListener.encode(change)
        try await connection.query("SELECT pg_notify(\(PostgresChangeListener.channel), \(payload))", logger: logger)
    }
}
