import CouchQueueModel
import CouchQueueStore
import Logging
import PostgresNIO

/// The clustered store: any number of servers share one PostgreSQL database.
///
/// Each method is one transaction. Leases take rows with `FOR UPDATE SKIP LOCKED`, so servers
/// never contend on one row nor hand out one task twice; changes that other servers must
/// react to are announced with `NOTIFY` (see `PostgresChangeChannel`).
///
/// `client` and `changeChannel` are services: run them before calling `migrate()` and the rest.
public final class PostgresStore: QueueStore {
    public let client: PostgresClient
    /// Announces changes to the other servers and hears theirs; run it as a service.
    public let changeChannel: PostgresChangeChannel
    let logger: Logger
    /// How long an operation may wait for PostgreSQL once it has its connection (`OperationWatch`).
    let operationTimeout: Duration

    /// The longest an operation may take by default: short enough that a PostgreSQL cut off by
    /// the network is given up on before most HTTP clients give up, long enough for the store's
    /// operations but `DELETE /queue` of a queue of millions of tasks (one statement).
    public static let defaultOperationTimeout = Duration.seconds(30)

    /// How a statement that may wait for several started tasks locks them: by id, as every
    /// such statement does (a batch of reports in task id order too: their byte order, which
    /// `COLLATE "C"` keeps whatever the database's collation). A heartbeat and a batch
    /// report of one worker, or either and a deletion of its queue or of the worker, locking
    /// the same tasks in different orders would deadlock, and PostgreSQL would fail one.
    static let inLockOrder = #"ORDER BY id COLLATE "C" FOR UPDATE"#

    /// `poolSize` connections serve requests; one more is the change channel's, which it holds
    /// for good. `operationTimeout` counts whole seconds, at least one. Throws when
    /// `location`'s `sslrootcert` cannot be read.
    public init(
        location: PostgresLocation, poolSize: Int, operationTimeout: Duration = defaultOperationTimeout, logger: Logger
    ) throws {
        precondition(operationTimeout >= .seconds(1), "the operation timeout counts whole seconds")
        var configuration = try location.clientConfiguration(poolSize: poolSize + 1)
        configuration.options.additionalStartupParameters = Self.serverSideLimits(operationTimeout)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.changeChannel = PostgresChangeChannel(client: client, operationTimeout: operationTimeout, logger: logger)
        self.logger = logger
        self.operationTimeout = operationTimeout
    }

    /// The operation timeout, kept by PostgreSQL too. An operation given up on has its
    /// connection closed, which a backend learns of only when it next reads or writes it: one
    /// waiting for a lock would go on waiting, and a single statement then commit after its
    /// `503`; one cut off inside a transaction (a partition) would keep its locks until TCP
    /// gives up, holding up the other servers. So a statement longer than the timeout is
    /// cancelled, and a session idle inside a transaction as long is ended. A statement is
    /// cancelled a quarter of a second early, so that an operation of one statement whose
    /// request is answered `503` (by `OperationWatch`, which counts from the claim, a moment
    /// before the statement begins) has surely stopped. A later statement of a transaction
    /// may run on past the answer, holding its locks, but can no longer commit.
    ///
    /// Every transaction is `READ COMMITTED`, whatever the database's default: the lease's
    /// twin check needs a snapshot per statement, and at a stricter level concurrent leases
    /// would fail with serialization errors.
    static func serverSideLimits(_ operationTimeout: Duration) -> [(String, String)] {
        let milliseconds = operationTimeout.components.seconds * 1000
        return [
            ("statement_timeout", String(milliseconds - 250)), ("idle_in_transaction_session_timeout", String(milliseconds)),
            ("default_transaction_isolation", "read committed"),
        ]
    }

    /// Brings the schema up to date; safe when several servers start at once.
    public func migrate() async throws {
        try await PostgresMigrations.migrate(client, logger: logger)
    }

    public func ping() async throws {
        _ = try await query("SELECT 1")
    }

    public func changes() -> AsyncStream<StoreChange> {
        changeChannel.changes()
    }

    /// Commits are synchronous (PostgreSQL's `synchronous_commit`), so there is nothing to flush.
    public func close() async throws {}

    /// Announces a change, committed, to every server.
    func announce(_ change: StoreChange) {
        changeChannel.announce(change)
    }
}
