import GRDB

/// Runs one operation of a group-commit batch in a savepoint, so that an operation that
/// throws undoes only its own writes, in the database and in `journals`. The three statements
/// are prepared once per connection.
///
/// An operation needs no savepoint (`.singleStatement`) when one statement is all it must
/// undo if it fails: SQLite undoes a failed statement by itself. (A write before it that
/// stands whatever the outcome, such as a report's sign of life, needs nothing undone.) The two
/// statements of a savepoint cost a publish about 5 µs of its 65.
enum Savepoint {
    enum Need: Sendable {
        case savepoint, singleStatement
    }

    static func run<T>(
        _ db: Database, _ need: Need, journals: [any TransactionJournal], _ operation: (Database) throws -> T
    ) throws -> T {
        let marks = journals.map { $0.mark() }
        func rollBackJournals() {
            for (journal, mark) in zip(journals, marks) { journal.rollBack(to: mark) }
        }
        guard need == .savepoint else {
            do {
                return try operation(db)
            } catch {
                rollBackJournals()
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
