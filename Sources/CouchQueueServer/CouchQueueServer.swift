import CouchQueueEngine
import CouchQueueHTTP
import CouchQueueStore
import CouchQueueStoreSQLite
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The composition root: configuration → store → engine → HTTP application → one service group.
public enum CouchQueueServer {
    /// Runs until SIGINT or SIGTERM, then stops taking requests, finishes those in flight,
    /// stores what `fastPost` accepted, and closes the store.
    public static func run(_ configuration: ServerConfiguration, logger: Logger) async throws {
        let store = try openStore(configuration.store)
        let engine = QueueEngine(store: store, options: configuration.engine, logger: logger)
        do {
            try await engine.start()
            try await serve(engine, configuration, logger: logger)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
        logger.info("stopped")
    }

    static func openStore(_ location: StoreLocation) throws -> any QueueStore {
        switch location {
        case .sqlite(let path):
            return try SQLiteStore(path: path)
        case .postgres:
            throw ServerError("the PostgreSQL store is not in this build yet; use --store sqlite:PATH")
        }
    }

    private static func serve(_ engine: QueueEngine, _ configuration: ServerConfiguration, logger: Logger) async throws {
        let host = configuration.host
        let application = Application(
            responder: APIResponder(engine: engine, options: configuration.http),
            server: .http1(configuration: .init(additionalChannelHandlers: ConnectionGuard.handlers(configuration.http))),
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: "couchqueue"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                let shownHost = host.contains(":") ? "[\(host)]" : host
                // Scripts wait for this line: it comes first on standard output, flushed at once.
                FileHandle.standardOutput.write(Data("listening on http://\(shownHost):\(port)\n".utf8))
            },
            logger: logger)
        // Shutdown runs in reverse order: parked lease requests are released first, then the
        // HTTP server finishes its requests, then accepted fastPost publications are stored.
        let services: [any Service] = [engine.maintenance(), engine.fastPosts, application, engine.waitingWorkers]
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// A server that cannot start, with a sentence saying why.
public struct ServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
