import Logging
import PostgresNIO

/// One connection made by hand before the store's pool runs, to tell a PostgreSQL that is not
/// up yet from one that will refuse every attempt. The pool retries both alike, and after a
/// minute of failures it stops trying new connections for a while (its circuit breaker): a
/// misspelt database would look like a hang, and a long wait would end in failed migrations.
public enum PostgresStartupCheck {
    /// Returns once PostgreSQL accepts a connection. What may pass (refused, timed out, starting
    /// up, too many connections) is waited out with a warning after each attempt; a refusal
    /// that will not pass throws `PostgresStoreError` with its reason.
    /// Its connection starts as the pool's do (`PostgresStore.serverSideLimits`), so that a
    /// PgBouncer that refuses their parameters is reported here, not by every request.
    public static func waitForPostgres(_ location: PostgresLocation, operationTimeout: Duration, logger: Logger) async throws {
        var configuration = try location.connectionConfiguration()
        configuration.options.additionalStartupParameters = PostgresStore.serverSideLimits(operationTimeout)
        if location.tls != .disable, !location.checksCertificate {
            logger.notice(
                "the PostgreSQL server's certificate is not checked; to authenticate the server, name its authority",
                metadata: ["sslmode": "\(location.tls.rawValue)", "instead": "sslmode=verify-full&sslrootcert=FILE"])
        }
        var delay = Duration.seconds(1)
        while true {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: -1, logger: logger)
                try? await connection.close()
                return
            } catch let error as PSQLError {
                if let refusal = permanentRefusal(error, location) { throw PostgresStoreError(refusal) }
                logger.warning(
                    "PostgreSQL is not reachable yet; trying again",
                    metadata: [
                        "postgres.address": "\(location.host):\(location.port)", "error": "\(String(reflecting: error))",
                        "retry.after": "\(delay)",
                    ])
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// Why no later attempt can succeed either, or nil: bad credentials and unknown roles
    /// (SQLSTATE class 28), an unknown database (3D000), no right to connect (42501), startup
    /// parameters refused (by PgBouncer), and TLS or authentication that this
    /// client and that server cannot agree on. A connection closed during the TLS handshake is
    /// not one: a restarting server or a proxy without one does it.
    private static func permanentRefusal(_ error: PSQLError, _ location: PostgresLocation) -> String? {
        let address = "PostgreSQL at \(location.host):\(location.port)"
        switch error.code {
        case .server:
            let (state, message) = (error.serverInfo?[.sqlState] ?? "", error.serverInfo?[.message] ?? "refused")
            // PgBouncer answers 08P01 to passing refusals too (a server still starting, say).
            let parametersRefused = state == "08P01" && message.hasPrefix("unsupported startup parameter")
            guard state.hasPrefix("28") || ["3D000", "42501"].contains(state) || parametersRefused else { return nil }
            let hint =
                parametersRefused
                ? "; behind PgBouncer, list \(startupParameterNames) in its ignore_startup_parameters"
                : ""
            return "\(address) refused the connection: \(message) (SQLSTATE \(state))\(hint)"
        case .connectionError where isClosedDuringHandshake(error.underlying):
            return nil
        case .connectionError where error.underlying is NIOSSLError || error.underlying is NIOSSLExtraError:
            return "the TLS connection to \(address) failed (\(String(reflecting: error.underlying!))); \(location.certificateCheck)"
        case .sslUnsupported: return "\(address) does not accept TLS, which sslmode=\(location.tls.rawValue) asks for"
        case .unsupportedAuthMechanism: return "\(address) asks for an authentication method this client does not support"
        case .authMechanismRequiresPassword: return "\(address) asks for a password; give one in the URL or in PGPASSWORD"
        case .saslError: return "SCRAM authentication with \(address) failed"
        default: return nil
        }
    }

    /// The parameters every connection sets at startup (`PostgresStore.serverSideLimits`).
    private static let startupParameterNames = PostgresStore.serverSideLimits(.seconds(1)).map(\.0).joined(separator: ", ")

    private static func isClosedDuringHandshake(_ error: (any Error)?) -> Bool {
        guard let error = error as? NIOSSLError else { return false }
        return error == .uncleanShutdown || error == .handshakeFailed(.sslError([.eofDuringHandshake]))
    }
}
