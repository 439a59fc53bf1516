import CouchQueueEngine
import CouchQueueHTTP
import CouchQueueStorePostgres
import Logging

/// How a server is built: where it listens, which store it uses, and the engine's and HTTP
/// layer's options.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port; the server prints the one it got.
    public var port = 7878
    public var store = StoreLocation.sqlite(path: "couchqueue.sqlite")
    /// Connections each server keeps to PostgreSQL.
    public var postgresPoolSize = 10
    /// How long a PostgreSQL operation may take once it has its connection, in whole seconds.
    public var postgresOperationTimeout = PostgresStore.defaultOperationTimeout
    public var engine = EngineOptions()
    public var http = HTTPOptions()
    public var logLevel = Logger.Level.info

    public init() {}
}

/// Which store to open, from `--store`: `sqlite:PATH` or `postgres://USER@HOST:PORT/DB`.
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    public init?(_ text: String) {
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { return nil }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            return nil
        }
    }

    /// `text` as an error message may show it, without a password it may hold.
    public static func withoutPassword(_ text: String) -> String {
        PostgresLocation.withoutPassword(text)
    }

    /// Throws what is wrong with a PostgreSQL URL, so that it is refused before the server starts.
    public func check() throws {
        if case .postgres(let url) = self { _ = try PostgresLocation(url: url) }
    }
}
