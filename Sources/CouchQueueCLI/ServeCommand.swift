import ArgumentParser
import CouchQueueServer
import Foundation
import Logging

/// `couchqueue serve`: runs the server until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the CouchQueue server.",
        discussion: """
            Every option can also be set by an environment variable (named in its help); the \
            command line wins. With --port 0 the server picks a free port and prints \
            "listening on http://HOST:PORT" first on standard output. Logs go to standard error.
            """)

    // The numeric options take the next argument even when it starts with "-" (`parsing:
    // .unconditional`): `--port -1` is then refused for its value, instead of with "Missing
    // value" (argument-parser takes -1 for a flag).

    @Option(help: "Address to listen on (env COUCHQUEUE_HOST). [default: 127.0.0.1]")
    var host: String?

    @Option(parsing: .unconditional, help: "Port to listen on; 0 picks a free one (env COUCHQUEUE_PORT). [default: 7878]")
    var port: Int?

    @Option(help: "sqlite:PATH or postgres://USER@HOST:PORT/DB[?sslmode=MODE&sslrootcert=FILE], as libpq reads them (env COUCHQUEUE_STORE). [default: sqlite:couchqueue.sqlite]")
    var store: String?

    @Option(parsing: .unconditional, help: "Connections to PostgreSQL per server (env COUCHQUEUE_POSTGRES_POOL_SIZE). [default: 10]")
    var postgresPoolSize: Int?

    @Option(
        parsing: .unconditional,
        help: "Whole seconds a PostgreSQL operation may take before its connection is closed and the request answered 503 (env COUCHQUEUE_POSTGRES_OPERATION_TIMEOUT). [default: 30]")
    var postgresOperationTimeout: Int?

    @Option(parsing: .unconditional, help: "Seconds before a silent worker that holds no task is removed (env COUCHQUEUE_WORKER_TIMEOUT). [default: 300]")
    var workerTimeout: Double?

    @Option(parsing: .unconditional, help: "Seconds a started task stays leased without a heartbeat (env COUCHQUEUE_LEASE_TIMEOUT). [default: 60]")
    var leaseTimeout: Double?

    @Option(
        parsing: .unconditional,
        help: "Seconds between a waiting GET /task's looks for a task whose wake-up it missed (env COUCHQUEUE_LEASE_RECHECK). [default: 1]")
    var leaseRecheck: Double?

    @Option(parsing: .unconditional, help: "Seconds succeeded tasks stay readable by id (env COUCHQUEUE_RETENTION). [default: 86400]")
    var retention: Double?

    @Option(parsing: .unconditional, help: "Largest request body in bytes (env COUCHQUEUE_BODY_LIMIT). [default: 1048576]")
    var bodyLimit: Int?

    @Option(
        parsing: .unconditional,
        help: """
            Most bytes of data and fail reasons in one status page of failed tasks; statuses hold at most four such \
            pages in memory at once, and wait their turn beyond (env COUCHQUEUE_STATUS_PAGE_BYTES). [default: 67108864]
            """)
    var statusPageBytes: Int?

    @Option(
        parsing: .unconditional,
        help: """
            Most bytes all connections together may hold in requests not yet answered and answers their clients have \
            not read; past it, connections are closed, the one holding the most bytes for the longest first. At least \
            twice --body-limit (env COUCHQUEUE_CONNECTION_MEMORY). \
            [default: a quarter of the machine's memory, or of its control groups' lowest limit; at least 64 MiB and \
            twice --body-limit]
            """)
    var connectionMemory: Int?

    @Option(parsing: .unconditional, help: "Seconds a connection has to deliver a request's headers, and to read what it is sent, before it is closed (env COUCHQUEUE_IDLE_TIMEOUT). [default: 60]")
    var idleTimeout: Double?

    @Option(parsing: .unconditional, help: "Seconds a request's body may take to arrive after its headers (env COUCHQUEUE_BODY_TIMEOUT). [default: 30]")
    var bodyTimeout: Double?

    @Option(help: "trace, debug, info, notice, warning, error or critical (env COUCHQUEUE_LOG_LEVEL). [default: info]")
    var logLevel: String?

    @Option(help: """
        A host name under which browsers may reach the server (others are refused, against DNS rebinding); \
        repeat it for several. IP addresses and localhost always may (env COUCHQUEUE_PUBLIC_HOSTS, comma-separated).
        """)
    var publicHost: [String] = []

    /// Bad values are refused while the command line is parsed: the error then comes with
    /// this command's usage, not the top-level one.
    func validate() throws {
        _ = try resolve()
    }

    func run() async throws {
        let configuration = try resolve()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        try await CouchQueueServer.run(configuration, logger: Logger(label: "couchqueue"))
    }

    /// Flag, else environment variable, else default; every value checked.
    func resolve() throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.host = host ?? EnvironmentDefault.value("COUCHQUEUE_HOST") ?? configuration.host
        configuration.port = try port ?? parse("COUCHQUEUE_PORT", Int.init) ?? configuration.port
        guard (0...65535).contains(configuration.port) else { throw ValidationError("--port must be from 0 to 65535") }
        if let text = store ?? EnvironmentDefault.value("COUCHQUEUE_STORE") {
            guard let location = StoreLocation(text) else {
                throw ValidationError("--store must be sqlite:PATH or postgres://USER@HOST:PORT/DB, not \(StoreLocation.withoutPassword(text))")
            }
            do { try location.check() } catch { throw ValidationError("--store: \(error)") }
            configuration.store = location
        }
        if let size = try postgresPoolSize ?? parse("COUCHQUEUE_POSTGRES_POOL_SIZE", Int.init) {
            guard (1...1000).contains(size) else { throw ValidationError("--postgres-pool-size must be from 1 to 1000") }
            configuration.postgresPoolSize = size
        }
        if let seconds = try postgresOperationTimeout ?? parse("COUCHQUEUE_POSTGRES_OPERATION_TIMEOUT", Int.init) {
            guard (1...86_400).contains(seconds) else { throw ValidationError("--postgres-operation-timeout must be from 1 to 86400 seconds") }
            configuration.postgresOperationTimeout = .seconds(seconds)
        }
        configuration.engine.workerTimeout = try positive("--worker-timeout", workerTimeout, "COUCHQUEUE_WORKER_TIMEOUT") ?? configuration.engine.workerTimeout
        configuration.engine.leaseTimeout = try positive("--lease-timeout", leaseTimeout, "COUCHQUEUE_LEASE_TIMEOUT") ?? configuration.engine.leaseTimeout
        configuration.engine.leaseRecheck = try positive("--lease-recheck", leaseRecheck, "COUCHQUEUE_LEASE_RECHECK") ?? configuration.engine.leaseRecheck
        configuration.engine.retention = try positive("--retention", retention, "COUCHQUEUE_RETENTION") ?? configuration.engine.retention
        configuration.http.idleTimeout = try positive("--idle-timeout", idleTimeout, "COUCHQUEUE_IDLE_TIMEOUT") ?? configuration.http.idleTimeout
        configuration.http.bodyReadTimeout = try positive("--body-timeout", bodyTimeout, "COUCHQUEUE_BODY_TIMEOUT") ?? configuration.http.bodyReadTimeout
        if let limit = try bodyLimit ?? parse("COUCHQUEUE_BODY_LIMIT", Int.init) {
            guard limit > 0 else { throw ValidationError("--body-limit must be a positive number of bytes") }
            configuration.http.bodyLimit = limit
        }
        if let bytes = try statusPageBytes ?? parse("COUCHQUEUE_STATUS_PAGE_BYTES", Int.init) {
            guard bytes > 0, bytes <= Int.max / 8 else {
                throw ValidationError("--status-page-bytes must be from 1 to \(Int.max / 8) bytes")
            }
            configuration.http.statusPageBytes = bytes
        }
        // Below twice the body limit, one request within it, with its head, could be cut off
        // instead of answered.
        let leastMemory = configuration.http.bodyLimit > Int.max / 2 ? Int.max : 2 * configuration.http.bodyLimit
        if let bytes = try connectionMemory ?? parse("COUCHQUEUE_CONNECTION_MEMORY", Int.init) {
            guard bytes >= leastMemory else {
                throw ValidationError("--connection-memory must be at least twice the body limit, \(leastMemory) bytes")
            }
            configuration.http.connectionMemory = bytes
        } else {
            configuration.http.connectionMemory = max(configuration.http.connectionMemory, leastMemory)
        }
        configuration.http.publicHosts = publicHost.isEmpty
            ? (EnvironmentDefault.value("COUCHQUEUE_PUBLIC_HOSTS") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            : publicHost
        for name in configuration.http.publicHosts where name.contains(where: { ":/[]@ ".contains($0) }) || name.hasSuffix(".") {
            throw ValidationError("--public-host \(name) must be a host name alone (no scheme, port, path or final dot)")
        }
        if let level = logLevel ?? EnvironmentDefault.value("COUCHQUEUE_LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level) else { throw ValidationError("--log-level \(level) is not a level") }
            configuration.logLevel = parsed
        }
        return configuration
    }

    private func parse<T>(_ variable: String, _ convert: (String) -> T?) throws -> T? {
        guard let text = EnvironmentDefault.value(variable) else { return nil }
        guard let value = convert(text) else { throw ValidationError("\(variable)=\(text) is not a valid value") }
        return value
    }

    private func positive(_ flag: String, _ value: Double?, _ variable: String) throws -> Double? {
        guard let seconds = try value ?? parse(variable, Double.init) else { return nil }
        // Timers count whole milliseconds in 64 bits: past a billion seconds they overflow.
        guard seconds >= 0.001, seconds <= 1e9 else {
            throw ValidationError("\(flag) must be from 0.001 to 1000000000 seconds")
        }
        return seconds
    }
}
