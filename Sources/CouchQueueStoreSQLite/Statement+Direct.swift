import GRDB
import GRDBSQLite

/// The statements of every publish, lease and report bind their arguments and step through
/// SQLite's C API. GRDB's `execute(arguments:)` first gathers the arguments into an array of
/// `DatabaseValue`s, checks them against the statement's parameter names and tells its
/// transaction-observation machinery before and after each step: in a profile of the drain,
/// three fifths of a report-and-lease's time outside SQLite.
///
/// Only for statements that neither begin nor end a transaction or savepoint, which GRDB tracks
/// from the statements it runs itself; the store registers no transaction observer.
extension Statement {
    /// Runs the statement to its end with these arguments, in order, one per parameter.
    func run<each Argument: DirectBinding>(_ arguments: repeat each Argument) throws {
        try bind(repeat each arguments)
        defer { sqlite3_reset(sqliteStatement) }
        while true {
            switch sqlite3_step(sqliteStatement) {
            case SQLITE_DONE: return
            case SQLITE_ROW: continue
            case let code: throw failure(code)
            }
        }
    }

    /// Resets the statement and binds these arguments, in order, one per parameter (a
    /// numbered one, `?2`, by its number).
    func bind<each Argument: DirectBinding>(_ arguments: repeat each Argument) throws {
        sqlite3_reset(sqliteStatement)
        var index: CInt = 0
        for argument in repeat each arguments {
            index += 1
            let code = argument.bindDirectly(to: sqliteStatement, at: index)
            guard code == SQLITE_OK else { throw failure(code) }
        }
        precondition(index == sqlite3_bind_parameter_count(sqliteStatement), "\(index) arguments for the parameters of \(sql)")
    }

    /// The error of the statement's last step, as GRDB reports one.
    func failure(_ code: CInt) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code),
            message: String(cString: sqlite3_errmsg(sqlite3_db_handle(sqliteStatement))), sql: sql)
    }
}

/// A value that `Statement.run` and `Statement.bind` bind. A string is bound with its UTF-8
/// bytes and their count: GRDB's `String` binding passes it as a C string, which Swift copies
/// into a new array at every call, and which SQLite then measures with `strlen`.
protocol DirectBinding {
    func bindDirectly(to statement: SQLiteStatement, at index: CInt) -> CInt
}

extension DirectBinding where Self: StatementBinding {
    func bindDirectly(to statement: SQLiteStatement, at index: CInt) -> CInt {
        bind(to: statement, at: index)
    }
}

extension Int: DirectBinding {}
extension Int64: DirectBinding {}
extension Double: DirectBinding {}
extension Bool: DirectBinding {}

extension String: DirectBinding {
    func bindDirectly(to statement: SQLiteStatement, at index: CInt) -> CInt {
        var string = self
        return string.withUTF8 { bytes in
            // SQLite binds a null pointer as NULL: an empty string's bytes may have no address.
            guard let address = bytes.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, transient) }
            guard let length = CInt(exactly: bytes.count) else { return SQLITE_TOOBIG }
            return address.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(statement, index, $0, length, transient)
            }
        }
    }
}

extension Optional: DirectBinding where Wrapped: DirectBinding {
    func bindDirectly(to statement: SQLiteStatement, at index: CInt) -> CInt {
        switch self {
        case .some(let value): value.bindDirectly(to: statement, at: index)
        case .none: sqlite3_bind_null(statement, index)
        }
    }
}

/// SQLite copies the bytes before the call returns (`SQLITE_TRANSIENT`, which Swift does not
/// import).
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
