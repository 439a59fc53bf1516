import GRDB
import GRDBSQLite

/// Reads a statement's rows in place, by column position.
///
/// GRDB's `Row` cursor builds a dictionary of lower-cased column names each time a statement
/// runs. A task's lease and finish run five statements that answer rows; building those
/// dictionaries cost more than reading the rows.
final class ColumnCursor<Element>: DatabaseCursor {
    let _statement: Statement
    var _isDone = false
    private let read: (Columns) throws -> Element

    init(_ statement: Statement, arguments: StatementArguments, read: @escaping (Columns) throws -> Element) throws {
        _statement = statement
        self.read = read
        try statement.setArguments(arguments)
    }

    /// The first row, or nil: the statement runs to its first row only.
    static func first(_ statement: Statement, arguments: StatementArguments, read: (Columns) throws -> Element) throws -> Element? {
        try withoutActuallyEscaping(read) { read in
            try ColumnCursor(statement, arguments: arguments, read: read).next()
        }
    }

    deinit {
        // A cursor left before its last row would leave the statement running. After a failed
        // step, the reset repeats an error that was already thrown.
        sqlite3_reset(_statement.sqliteStatement)
    }

    func _element(sqliteStatement: SQLiteStatement) throws -> Element {
        try read(Columns(statement: sqliteStatement))
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
