import CouchQueueEngine
import CouchQueueHTTP
import CouchQueueStore
import CouchQueueStorePostgres
import CouchQueueStoreSQLite
import Foundation
import HummingbirdCore
import NIOCore
import NIOPosix
import Logging
import ServiceLifecycle

/// The composition root: configuration → store → engine → HTTP application → one service group.
public enum CouchQueueServer {
    /// Runs until SIGINT or SIGTERM, then stops taking requests, finishes those in flight,
    /// stores what `fastPost` accepted, and closes the store.
    public static func run(_ configuration: ServerConfiguration, logger: Logger) async throws {
        switch configuration.store {
        case .sqlite(let path):
            let store: SQLiteStore
            do { store = try SQLiteStore(path: path) } catch { throw SQLiteOpenError(path: path, cause: error) }
            try await serve(store: store, configuration, logger: logger)
        case .postgres(let url):
            let location = try PostgresLocation(url: url)
            // Before the pool runs: a pool that fails for a minute stops trying new connections
            // for a while (its circuit breaker), and the migrations would then fail at once.
            let reachable = try await ShutdownSignals.unlessSignalled(logger: logger) {
                try await PostgresStartupCheck.waitForPostgres(
                    location, operationTimeout: configuration.postgresOperationTimeout, logger: logger)
            }
            guard reachable else { break }
            let store = try PostgresStore(
                location: location, poolSize: configuration.postgresPoolSize,
                operationTimeout: configuration.postgresOperationTimeout, logger: logger)
            // The client and its change channel run around the server, so the store works from its
            // migrations to the last request of a graceful shutdown. A migration may wait long
            // for a busy table: a signal meanwhile stops the server as cleanly.
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await store.client.run() }
                group.addTask { await store.changeChannel.run() }
                if try await ShutdownSignals.unlessSignalled(logger: logger, { try await store.migrate() }) {
                    try await serve(store: store, configuration, logger: logger)
                }
                group.cancelAll()
            }
        }
        logger.info("stopped")
    }

    private static func serve(store: any QueueStore, _ configuration: ServerConfiguration, logger: Logger) async throws {
        var options = configuration.engine
        // A fastPost publication is a request whose answer came early: it leaves the
        // connections' account then, and the same bound holds it until stored.
        options.fastPostBacklogBytes = configuration.http.connectionMemory
        let engine = QueueEngine(store: store, options: options, logger: logger)
        do {
            try await engine.reloadInterests()
        } catch {
            try? await store.close()
            throw error
        }
        let group = serviceGroup(engine, configuration, logger: logger)
        // Trapped before the services start, as `ServiceGroup` would, and handled until the
        // store has closed.
        let signals = await ShutdownSignals.trap()
        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { await ShutdownSignals.handle(signals, shuttingDown: group, logger: logger) }
            defer { tasks.cancelAll() }
            do {
                try await group.run()
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        }
    }

    private static func serviceGroup(_ engine: QueueEngine, _ configuration: ServerConfiguration, logger: Logger) -> ServiceGroup {
        let host = configuration.host
        let server = Server(
            childChannelSetup: APIChannel(
                responder: APIResponder(engine: engine, options: configuration.http, logger: logger), options: configuration.http,
                logger: logger),
            configuration: .init(
                address: .hostname(host, port: configuration.port), serverName: "couchqueue",
                availableConnectionsDelegate: connectionCap(configuration, logger: logger)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                let shownHost = host.contains(":") ? "[\(host)]" : host
                // Scripts wait for this line: it comes first on standard output, flushed at once.
                FileHandle.standardOutput.write(Data("listening on http://\(shownHost):\(port)\n".utf8))
            },
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger)
        // Shutdown runs in reverse order: parked lease requests are released first, then the
        // HTTP server finishes its requests, then accepted fastPost publications are stored.
        let services: [any Service] = [
            engine.maintenance(), engine.storeChanges(), engine.fastPosts, server, engine.waitingWorkers,
        ]
        // Signals are handled by `ShutdownSignals`, which triggers the graceful shutdown.
        return ServiceGroup(configuration: .init(services: services, logger: logger))
    }

    /// Raises the open-file limit and caps connections below it (`OpenFileLimit`).
    private static func connectionCap(_ configuration: ServerConfiguration, logger: Logger) -> ConnectionCap {
        let storeConnections = if case .postgres = configuration.store { configuration.postgresPoolSize + 1 } else { 0 }
        let openFiles = OpenFileLimit.raise()
        let maximum = OpenFileLimit.connections(
            under: openFiles, eventLoops: NIOSingletons.groupLoopCountSuggestion, storeConnections: storeConnections)
        logger.debug("open-file limit \(openFiles): at most \(maximum) connections")
        return ConnectionCap(maximum: maximum, logger: logger)
    }
}

/// A store file that could not be opened, named with the flag that chose it: SQLite's own
/// message (`unable to open database file`) names neither.
struct SQLiteOpenError: Error, CustomStringConvertible {
    let path: String
    let cause: any Error

    var description: String { "cannot open --store sqlite:\(path): \(cause)" }
}
