@testable import CouchQueueStoreSQLite
import GRDB
import GRDBSQLite
import Testing

/// `Statement.run` and `ColumnCursor` step statements past GRDB: a failed step must throw
/// SQLite's error, and no statement may be left running (a reader's would hold its snapshot
/// open, and the log could not be checkpointed past it).
@Suite struct DirectStatementTests {
    @Test func aFailedStepThrowsSQLitesErrorAndNoStatementIsLeftRunning() throws {
        let database = try DatabaseQueue()
        try database.write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, note TEXT)")
            let insert = try db.cachedStatement(sql: "INSERT INTO t (id, n, note) VALUES (?, ?, ?)")
            try insert.run("a", 1, String?.none)
            let error = #expect(throws: DatabaseError.self) { try insert.run("a", 2, "again") }
            #expect(error?.resultCode == .SQLITE_CONSTRAINT)
            #expect(error?.message?.contains("UNIQUE") == true)
            #expect(sqlite3_stmt_busy(insert.sqliteStatement) == 0)
            try insert.run("b", 2, "second")

            let read = try db.cachedStatement(sql: "SELECT id, n, note FROM t WHERE n >= ?1 ORDER BY n")
            let rows = try Array(ColumnCursor(read, arguments: 1) { ($0[0] as String, $0[1] as Int, $0[2] as String?) })
            #expect(rows.map(\.0) == ["a", "b"] && rows.map(\.1) == [1, 2] && rows.map(\.2) == [nil, "second"])
            // A cursor left after its first row resets the statement.
            #expect(try ColumnCursor.first(read, arguments: 1) { $0[0] as String } == "a")
            #expect(sqlite3_stmt_busy(read.sqliteStatement) == 0)
            #expect(try ColumnCursor.first(read, arguments: 2) { $0[0] as String } == "b")
        }
    }

    /// Strings are bound by their bytes and count (`DirectBinding`): empty, small (kept inside
    /// the `String`), long, and not ASCII (more bytes than characters).
    @Test func stringsAreBoundWholeByteForByte() throws {
        let database = try DatabaseQueue()
        try database.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER, note TEXT)")
            let insert = try db.cachedStatement(sql: "INSERT INTO t (n, note) VALUES (?, ?)")
            let notes = ["", "short", "Grüße, 東京 🚀", String(repeating: "long é ", count: 1000)]
            for (n, note) in notes.enumerated() { try insert.run(n, note) }
            let read = try db.cachedStatement(sql: "SELECT note, length(CAST(note AS BLOB)), typeof(note) FROM t ORDER BY n")
            let rows = try Array(ColumnCursor(read) { ($0[0] as String, $0[1] as Int, $0[2] as String) })
            #expect(rows.map(\.0) == notes)
            #expect(rows.map(\.1) == notes.map(\.utf8.count))
            #expect(rows.allSatisfy { $0.2 == "text" })
        }
    }
}
