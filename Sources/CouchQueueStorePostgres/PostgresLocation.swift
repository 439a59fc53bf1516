import Foundation
import PostgresNIO

/// Connection settings from a `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…&sslrootcert=…]`
/// URL. As for libpq, the password may come from `PGPASSWORD`, and `sslmode` and `sslrootcert`
/// from `PGSSLMODE` and `PGSSLROOTCERT`, and they mean what they mean to libpq.
public struct PostgresLocation: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// The `sslmode` asked for (`allow` is read as `prefer`).
    public var tls: TLSMode
    /// `sslrootcert=FILE`: the PEM file of the authorities the server's certificate must chain
    /// to. Without one, `verify-full` takes the system's trusted roots, and no other mode
    /// checks the certificate.
    public var trustedRootsFile: String?

    public enum TLSMode: String, Sendable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// `url` as an error message or a log may show it: a password in it becomes `***`. The
    /// URL may be malformed (an `@`, `/` or `?` in a password not percent-encoded), so its
    /// user information is taken to end at the last `@` before any query, or else at the last.
    public static func withoutPassword(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        guard let at = rest.prefix(while: { $0 != "?" }).lastIndex(of: "@") ?? rest.lastIndex(of: "@"),
            let colon = rest[..<at].firstIndex(of: ":")
        else { return url }
        return url[..<rest.index(after: colon)] + "***" + url[at...]
    }

    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme),
            let host = components.host, !host.isEmpty, let username = components.user, !username.isEmpty
        else {
            throw PostgresStoreError("--store must look like postgres://USER@HOST:PORT/DB, not \(Self.withoutPassword(url))")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw PostgresStoreError("the PostgreSQL URL names no database: \(Self.withoutPassword(url))") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = username.removingPercentEncoding ?? username
        self.password = components.password?.removingPercentEncoding ?? environment["PGPASSWORD"]
        self.database = database
        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard Self.parameters.contains(item.name) else {
                throw PostgresStoreError("the PostgreSQL URL's parameter \(item.name) is not supported; only sslmode and sslrootcert are")
            }
            parameters[item.name] = item.value ?? ""
        }
        let roots = parameters["sslrootcert"] ?? environment["PGSSLROOTCERT"]
        // Public authorities vouch for whoever controls a name: only the name authenticates.
        let mode = parameters["sslmode"] ?? environment["PGSSLMODE"] ?? (roots == "system" ? "verify-full" : "prefer")
        guard let tls = mode == "allow" ? .prefer : TLSMode(rawValue: mode) else {
            throw PostgresStoreError("sslmode \(mode) is not one of disable, allow, prefer, require, verify-ca, verify-full")
        }
        if roots == "system", tls != .verifyFull {
            throw PostgresStoreError("sslrootcert=system needs sslmode=verify-full, as in libpq: a public authority vouches only for a name")
        }
        if roots == nil, tls == .verifyCA {
            throw PostgresStoreError("sslmode=verify-ca needs sslrootcert=FILE, the authority of the server's certificate")
        }
        self.tls = tls
        self.trustedRootsFile = roots == "system" ? nil : roots
    }

    private static let parameters: Set = ["sslmode", "sslrootcert"]

    /// Whether the server is authenticated: without it, TLS only hides the traffic from
    /// onlookers who cannot take over the server's address.
    public var checksCertificate: Bool {
        verification != .none
    }

    /// As libpq's: the `verify-` modes check the certificate, and every mode with TLS checks
    /// it against an `sslrootcert` file when one is named.
    private var verification: CertificateVerification {
        switch tls {
        case .verifyFull: .fullVerification
        case .verifyCA: .noHostnameVerification
        case .disable, .prefer, .require: trustedRootsFile == nil ? .none : .noHostnameVerification
        }
    }

    /// For the one connection made outside the pool (`PostgresStartupCheck`). Reads
    /// `trustedRootsFile`, once per call.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var tlsConfiguration = PostgresConnection.Configuration.TLS.disable
        if let settings = try tlsSettings() {
            let context: NIOSSLContext
            do {
                context = try NIOSSLContext(configuration: settings)
            } catch {
                throw PostgresStoreError("TLS cannot be set up (\(error)): the system's trusted roots may be missing")
            }
            tlsConfiguration = tls == .prefer ? .prefer(context) : .require(context)
        }
        return PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tlsConfiguration)
    }

    /// For the store's pool of at most `poolSize` connections. Reads `trustedRootsFile`, once
    /// per call.
    func clientConfiguration(poolSize: Int) throws -> PostgresClient.Configuration {
        var tlsConfiguration = PostgresClient.Configuration.TLS.disable
        if let settings = try tlsSettings() { tlsConfiguration = tls == .prefer ? .prefer(settings) : .require(settings) }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tlsConfiguration)
        configuration.options.maximumConnections = poolSize
        return configuration
    }

    /// The TLS settings of `tls` and `trustedRootsFile`, or nil without TLS.
    private func tlsSettings() throws -> TLSConfiguration? {
        guard tls != .disable else { return nil }
        var settings = TLSConfiguration.makeClientConfiguration()
        settings.certificateVerification = verification
        if let trustedRootsFile {
            do {
                settings.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(trustedRootsFile))
            } catch {
                throw PostgresStoreError("sslrootcert \(trustedRootsFile) is not a readable file of PEM certificates (\(error))")
            }
        }
        return settings
    }

    /// How the server's certificate was checked, for the reason of a failed TLS handshake.
    var certificateCheck: String {
        guard checksCertificate else { return "sslmode=\(tls.rawValue) does not check the server's certificate" }
        return "sslmode=\(tls.rawValue) checks that the server's certificate chains to "
            + (trustedRootsFile.map { "an authority in \($0)" } ?? "an authority the system trusts")
            + (verification == .fullVerification ? " and names \(host)" : "")
    }
}

/// A PostgreSQL store that cannot start, with a sentence saying why.
public struct PostgresStoreError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
