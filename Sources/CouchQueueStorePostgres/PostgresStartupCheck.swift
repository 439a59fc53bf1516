import Logging
import PostgresNIO

/// One connection made by hand before the pool and the schema, to tell a PostgreSQL that is not
/// up yet from one that will refuse every attempt. The pool retries both alike and forever, so
/// a misspelt database or a wrong password would leave the server waiting without a word.
enum PostgresStartupCheck {
    /// Returns once PostgreSQL accepts a connection. What may pass (refused, timed out, starting
    /// up, too many connections) is waited out with a warning each time; a refusal that will
    /// not pass (no such database, bad credentials, TLS unavailable) throws `PostgresStoreError`.
    static func waitForPostgres(_ location: PostgresLocation, logger: Logger) async throws {
        let configuration = try location.connectionConfiguration()
        var delay = Duration.seconds(1)
        while true {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                try? await connection.close()
                return
            } catch let error as PSQLError {
                if let reason = permanentRefusal(error) {
                    throw PostgresStoreError("PostgreSQL at \(location.host):\(location.port) refused the connection: \(reason)")
                }
                logger.warning(
                    "PostgreSQL is not reachable yet; trying again",
                    metadata: [
                        "postgres": "\(location.host):\(location.port)", "error": "\(String(reflecting: error))",
                        "retryIn": "\(delay)",
                    ])
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// Why no later attempt can succeed either, or nil: bad credentials and unknown roles
    /// (SQLSTATE class 28), an unknown database (3D000), and TLS or authentication that this
    /// client and that server cannot agree on.
    private static func permanentRefusal(_ error: PSQLError) -> String? {
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            guard state.hasPrefix("28") || state == "3D000" else { return nil }
            return "\(error.serverInfo?[.message] ?? "refused") (SQLSTATE \(state))"
        case .sslUnsupported: return "it does not accept TLS, which sslmode=require asks for"
        case .unsupportedAuthMechanism: return "it asks for an authentication method this client does not support"
        case .authMechanismRequiresPassword: return "it asks for a password; give one in the URL or in PGPASSWORD"
        case .saslError: return "SCRAM authentication with it failed"
        default: return nil
        }
    }
}
