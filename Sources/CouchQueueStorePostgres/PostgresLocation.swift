import Foundation
import PostgresNIO

/// Connection settings from a `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…&sslrootcert=…]`
/// URL; the password may come from `PGPASSWORD` instead. `sslmode` means what it means to libpq.
public struct PostgresLocation: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// `sslrootcert`: a PEM file of the authorities the server's certificate must chain to; nil
    /// for the system's trusted roots (`sslrootcert=system`, or none given).
    public var trustedRootsFile: String?

    /// As libpq's: only the two `verify-` modes check the server's certificate (`require` too,
    /// when `sslrootcert` names a file). A server with TLS on and a certificate of its own, as
    /// Debian's and most managed ones have, would otherwise refuse every client that has not
    /// been told its authority.
    public enum TLSMode: String, Sendable {
        /// `allow` too: libpq tries without TLS first, this client with it.
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme),
            let host = components.host, !host.isEmpty, let username = components.user, !username.isEmpty
        else {
            throw PostgresStoreError("--store must look like postgres://USER@HOST:PORT/DB, not \(url)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw PostgresStoreError("the PostgreSQL URL names no database: \(url)") }
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
        let mode = parameters["sslmode"] ?? "prefer"
        guard let tls = mode == "allow" ? .prefer : TLSMode(rawValue: mode) else {
            throw PostgresStoreError("sslmode \(mode) is not one of disable, allow, prefer, require, verify-ca, verify-full")
        }
        let roots = parameters["sslrootcert"].flatMap { $0 == "system" ? nil : $0 }
        self.tls = tls == .require && roots != nil ? .verifyCA : tls
        self.trustedRootsFile = roots
    }

    private static let parameters: Set = ["sslmode", "sslrootcert"]

    /// For the one connection made outside the pool (`PostgresStartupCheck`). Reads
    /// `trustedRootsFile`, once per call.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var tlsConfiguration = PostgresConnection.Configuration.TLS.disable
        if let settings = try tlsSettings() {
            let context = try NIOSSLContext(configuration: settings)
            tlsConfiguration = tls == .prefer ? .prefer(context) : .require(context)
        }
        return PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tlsConfiguration)
    }

    /// For the store's pool. Reads `trustedRootsFile`, once per call.
    func clientConfiguration(poolSize: Int) throws -> PostgresClient.Configuration {
        var tlsConfiguration = PostgresClient.Configuration.TLS.disable
        if let settings = try tlsSettings() { tlsConfiguration = tls == .prefer ? .prefer(settings) : .require(settings) }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tlsConfiguration)
        configuration.options.maximumConnections = poolSize
        return configuration
    }

    /// How the server's certificate is checked, or nil without TLS.
    private func tlsSettings() throws -> TLSConfiguration? {
        var settings = TLSConfiguration.makeClientConfiguration()
        switch tls {
        case .disable: return nil
        case .prefer, .require: settings.certificateVerification = .none
        case .verifyCA: settings.certificateVerification = .noHostnameVerification
        case .verifyFull: settings.certificateVerification = .fullVerification
        }
        if let trustedRootsFile {
            do {
                settings.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(trustedRootsFile))
            } catch {
                throw PostgresStoreError("sslrootcert \(trustedRootsFile) is not a readable file of PEM certificates (\(error))")
            }
        }
        return settings
    }

    /// What the server's certificate was checked against, for a refusal's reason.
    var certificateCheck: String {
        switch tls {
        case .disable, .prefer, .require: "sslmode=\(tls.rawValue) does not check the server's certificate"
        case .verifyCA, .verifyFull:
            "sslmode=\(tls.rawValue) checks the server's certificate against "
                + (trustedRootsFile.map { "the authorities in \($0)" } ?? "the system's trusted roots (sslrootcert names others)")
                + (tls == .verifyFull ? " and the host name \(host)" : "")
        }
    }
}

/// A PostgreSQL store that cannot start, with a sentence saying why.
public struct PostgresStoreError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
