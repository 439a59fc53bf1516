import GRDB
import GRDBSQLite

/// Reads a statement's rows in place, by column position, stepping it through SQLite's C API
/// (`Statement.bind`).
///
/// GRDB's `Row` cursor builds a dictionary of lower-cased column names each time a statement
/// runs. A task's lease and finish run five statements that answer rows; building those
/// dictionaries cost more than reading the rows.
final class ColumnCursor<Element>: Cursor {
    private let statement: Statement
    private var isDone = false
    private let read: (Columns) throws -> Element

    init<each Argument: DirectBinding>(
        _ statement: Statement, arguments: repeat each Argument, read: @escaping (Columns) throws -> Element
    ) throws {
        self.statement = statement
        self.read = read
        try statement.bind(repeat each arguments)
    }

    /// The first row, or nil: the statement runs to its first row only.
    static func first<each Argument: DirectBinding>(
        _ statement: Statement, arguments: repeat each Argument, read: (Columns) throws -> Element
    ) throws -> Element? {
        try withoutActuallyEscaping(read) { read in
            try ColumnCursor(statement, arguments: repeat each arguments, read: read).next()
        }
    }

    func next() throws -> Element? {
        guard !isDone else { return nil }
        switch sqlite3_step(statement.sqliteStatement) {
        case SQLITE_ROW:
            return try read(Columns(statement: statement.sqliteStatement))
        case SQLITE_DONE:
            isDone = true
            return nil
        case let code:
            isDone = true
            throw statement.failure(code)
        }
    }

    deinit {
        // A cursor left before its last row would leave the statement running.
        sqlite3_reset(statement.sqliteStatement)
    }
}

/// The row a statement stands on.
struct Columns {
    fileprivate let statement: SQLiteStatement

    /// The value in column `index`, counted from 0. An optional type reads `NULL` as nil;
    /// any other type traps on `NULL` or a value it cannot hold, as `Row` does.
    subscript<Value: StatementColumnConvertible>(_ index: Int) -> Value {
        guard let value = Value.fromStatement(statement, atUncheckedIndex: CInt(index)) else {
            preconditionFailure("column \(index) holds no \(Value.self)")
        }
        return value
    }
}
