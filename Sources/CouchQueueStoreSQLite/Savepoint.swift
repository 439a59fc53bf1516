import GRDB

/// Runs one operation of a group-commit batch in a savepoint, so that an operation that
/// throws undoes only its own writes, in the database and in `journal`. The three statements
/// are prepared once per connection.
enum Savepoint {
    static func run<T>(_ db: Database, journal: any TransactionJournal, _ operation: (Database) throws -> T) throws -> T {
        try db.cachedStatement(sql: "SAVEPOINT operation").execute()
        let mark = journal.mark()
        do {
            let result = try operation(db)
            try db.cachedStatement(sql: "RELEASE operation").execute()
            return result
        } catch {
            journal.rollBack(to: mark)
            try db.cachedStatement(sql: "ROLLBACK TO operation").execute()
            try db.cachedStatement(sql: "RELEASE operation").execute()
            throw error
        }
    }
}
