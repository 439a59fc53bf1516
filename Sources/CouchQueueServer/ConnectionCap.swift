import HummingbirdCore
import Logging

/// Hummingbird's limit on open connections (`OpenFileLimit` sets it): at the cap the server
/// stops accepting, and new connections wait in the listening socket's backlog until one
/// closes. A warning says so, at most once a minute.
struct ConnectionCap: AvailableConnectionsDelegate {
    let maximum: Int
    let logger: Logger
    private var open = 0
    private var lastWarning: ContinuousClock.Instant?

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        guard open >= maximum else { return }
        let now = ContinuousClock.now
        if let lastWarning, now - lastWarning < .seconds(60) { return }
        lastWarning = now
        logger.warning(
            "\(open) connections are open, the most this server holds: new ones wait until one closes (the cap follows the open-file limit, ulimit -n)")
    }

    mutating func connectionClosed() {
        open -= 1
    }

    func isAcceptingNewConnections() -> Bool {
        open < maximum
    }
}
