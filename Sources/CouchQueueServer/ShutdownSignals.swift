import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGINT and SIGTERM, handled in one place from when the services start until the store has
/// closed: the first shuts the server down gracefully; another, at least `repeatWindow`
/// later, exits at once, as someone who presses Ctrl-C twice expects. (`ServiceGroup`'s own
/// handling ignores signals after the first and stops with its run, before the store
/// closes.) One Ctrl-C can arrive twice, from the terminal and from a wrapper that forwards
/// it: a repeat within the window is taken for that. Exiting keeps what the store committed
/// (it survives a crash as well) and loses `fastPost` publications accepted and not yet stored.
enum ShutdownSignals {
    static let repeatWindow = Duration.milliseconds(250)

    /// Traps the signals from now on; `handle` acts on them.
    static func trap() async -> UnixSignalsSequence {
        await UnixSignalsSequence(trapping: .sigterm, .sigint)
    }

    /// Runs `startUp` unless SIGINT or SIGTERM comes first, which cancels it: false then. For
    /// what the server does before its services run (waiting for PostgreSQL), which a signal
    /// must end with a clean exit, not the default action's kill.
    static func unlessSignalled(logger: Logger, _ startUp: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        let signals = await trap()
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await startUp()
                return true
            }
            group.addTask {
                // Ends without a signal only when cancelled, once `startUp` has finished.
                guard let signal = await signals.first(where: { _ in true }) else { return true }
                logger.info("shutting down", metadata: ["signal": "\(signal)"])
                return false
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    static func handle(_ signals: UnixSignalsSequence, shuttingDown group: ServiceGroup, logger: Logger) async {
        var firstCaught: ContinuousClock.Instant?
        for await signal in signals {
            if let firstCaught {
                guard ContinuousClock.now - firstCaught >= repeatWindow else { continue }
                logger.warning("another signal during shutdown: exiting at once", metadata: ["signal": "\(signal)"])
                exit(128 + signal.rawValue)
            }
            firstCaught = .now
            logger.info("shutting down", metadata: ["signal": "\(signal)"])
            await group.triggerGracefulShutdown()
        }
    }
}
