import PostgresNIO

extension PostgresConnection {
    /// Runs a statement for what it does, not for its rows, and returns once it has run.
    /// `query` returns as soon as a statement's rows are described, before it has run: an
    /// error in its run (a lock wait cancelled, a deadlock, a function's `RAISE`) comes with
    /// the rows, and is lost if they are not read.
    func run(_ statement: PostgresQuery, logger: Logger) async throws {
        _ = try await query(statement, logger: logger).collect()
    }
}
