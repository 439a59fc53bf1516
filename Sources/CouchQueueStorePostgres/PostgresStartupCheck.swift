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
    public static func waitForPostgres(_ location: PostgresLocation, logger: Logger) async throws {
        let configuration = try location.connectionConfiguration()
        var delay = Duration.seconds(1)
        while true {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: -1, logger: logger)
                try? await connection.close()
                return
            } catch let error as PSQLError {
                if let reason = permanentRefusal(error, location) {
                    throw PostgresStoreError("PostgreSQL at \(location.host):\(location.port) refused the connection: \(reason)")
                }
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
    /// (SQLSTATE class 28), an unknown database (3D000), no right to connect (42501), and TLS
    /// or authentication that this client and that server cannot agree on.
    private static func permanentRefusal(_ error: PSQLError, _ location: PostgresLocation) -> String? {
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            guard state.hasPrefix("28") || state == "3D000" || state == "42501" else { return nil }
            return "\(error.serverInfo?[.message] ?? "refused") (SQLSTATE \(state))"
        case .connectionError where error.underlying is NIOSSLError || error.underlying is NIOSSLExtraError:
            return "TLS failed (\(String(reflecting: error.underlying!))); \(location.certificateCheck)"
        case .sslUnsupported: return "it does not accept TLS, which sslmode=\(location.tls.rawValue) asks for"
        case .unsupportedAuthMechanism: return "it asks for an authentication method this client does not support"
        case .authMechanismRequiresPassword: return "it asks for a password; give one in the URL or in PGPASSWORD"
        case .saslError: return "SCRAM authentication with it failed"
        default: return nil
        }
    }
}
