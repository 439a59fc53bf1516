import GRDB

/// Runs one operation of a group-commit batch so that, if it throws, only its own writes are
/// undone, in the database and in `journals`: in a savepoint unless `Need` says none is
/// needed. The savepoint's three statements are prepared once per connection.
///
/// A savepoint costs more than its two statements: every page the operation changes is first
/// copied into the savepoint's journal. It cost a publish about 5 µs of its 65, and a task
/// drained one by one (its report and next lease) about a tenth of the server's CPU. So:
/// - `.singleStatement`: one statement is all the operation must undo if it fails, and SQLite
///   undoes a failed statement by itself. (A write before it that stands whatever the
///   outcome, such as a report's sign of life, needs nothing undone.)
/// - `.refusalsBeforeWrites`: the operation refuses (throws) only before its first write;
///   what fails it after that (an I/O error, a full disk) would fail the batch's commit too.
///   Such a failure, after a write that nothing can undo alone, fails the whole batch
///   (`FailsTheBatch`), which is rolled back.
enum Savepoint {
    enum Need: Sendable {
        case savepoint, singleStatement, refusalsBeforeWrites
    }

    /// An operation failed after its first write, without a savepoint to undo it.
    struct FailsTheBatch: Error {
        let cause: any Error
    }

    static func run<T>(
        _ db: Database, _ need: Need, journals: [any TransactionJournal], _ operation: (Database) throws -> T
    ) throws -> T {
        let marks = journals.map { $0.mark() }
        func rollBackJournals() {
            for (journal, mark) in zip(journals, marks) { journal.rollBack(to: mark) }
        }
        guard need == .savepoint else {
            let changesBefore = db.totalChangesCount
            do {
                return try operation(db)
            } catch {
                rollBackJournals()
                if need == .refusalsBeforeWrites, db.totalChangesCount != changesBefore { throw FailsTheBatch(cause: error) }
                throw error
            }
        }
        try db.cachedStatement(sql: "SAVEPOINT operation").execute()
        do {
            let result = try operation(db)
            try db.cachedStatement(sql: "RELEASE operation").execute()
            return result
        } catch {
            rollBackJournals()
            try db.cachedStatement(sql: "ROLLBACK TO operation").execute()
            try db.cachedStatement(sql: "RELEASE operation").execute()
            throw error
        }
    }
}
