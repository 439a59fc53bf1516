import CouchQueueStorePostgres
import Testing

@Suite struct PostgresLocationTests {
    @Test func readsEveryPartOfTheURL() throws {
        let location = try PostgresLocation(url: "postgres://queue%40app:s%3Acret@db.internal:6543/jobs?sslmode=require", environment: [:])
        #expect(location.host == "db.internal" && location.port == 6543 && location.database == "jobs")
        #expect(location.username == "queue@app" && location.password == "s:cret" && location.tls == .require)
    }

    @Test func defaultsToPort5432PreferredTLSAndThePasswordFromPGPASSWORD() throws {
        let location = try PostgresLocation(url: "postgresql://queue@db/jobs", environment: ["PGPASSWORD": "from-env"])
        #expect(location.port == 5432 && location.tls == .prefer && location.password == "from-env")
    }

    @Test(arguments: [
        ("", PostgresLocation.TLSMode.prefer, nil, false), ("?sslmode=allow", .prefer, nil, false),
        ("?sslmode=disable", .disable, nil, false), ("?sslmode=require", .require, nil, false),
        ("?sslmode=verify-full", .verifyFull, nil, true), ("?sslmode=verify-full&sslrootcert=system", .verifyFull, nil, true),
        // As libpq 16: the system's authorities make verify-full the default.
        ("?sslrootcert=system", .verifyFull, nil, true),
        ("?sslmode=verify-ca&sslrootcert=/etc/db-ca.pem", .verifyCA, "/etc/db-ca.pem", true),
        // As libpq: an authority named is checked against in every mode with TLS.
        ("?sslrootcert=/etc/db-ca.pem&sslmode=require", .require, "/etc/db-ca.pem", true),
        ("?sslrootcert=/etc/db-ca.pem", .prefer, "/etc/db-ca.pem", true),
    ] as [(String, PostgresLocation.TLSMode, String?, Bool)])
    func readsTLSSettingsAsLibpqDoes(_ query: String, _ mode: PostgresLocation.TLSMode, _ roots: String?, _ checks: Bool) throws {
        let location = try PostgresLocation(url: "postgres://queue@db/jobs" + query, environment: [:])
        #expect(location.tls == mode && location.trustedRootsFile == roots && location.checksCertificate == checks)
    }

    @Test func takesTLSSettingsFromTheEnvironmentUnlessTheURLHasThem() throws {
        let environment = ["PGSSLMODE": "verify-full", "PGSSLROOTCERT": "/etc/db-ca.pem"]
        let fromEnvironment = try PostgresLocation(url: "postgres://queue@db/jobs", environment: environment)
        #expect(fromEnvironment.tls == .verifyFull && fromEnvironment.trustedRootsFile == "/etc/db-ca.pem")
        let fromURL = try PostgresLocation(url: "postgres://queue@db/jobs?sslmode=disable", environment: environment)
        #expect(fromURL.tls == .disable)
    }

    @Test(arguments: [
        "postgres://db/jobs", "postgres://queue@db", "postgres://queue@db/", "mysql://queue@db/jobs",
        "postgres://queue@db/jobs?sslmode=sometimes", "not a url",
        // Not silently ignored: a revocation list or a client certificate the user counts on.
        "postgres://queue@db/jobs?sslmode=verify-full&sslcrl=/etc/crl.pem", "postgres://queue@db/jobs?sslcert=me.pem",
        // Any public authority vouches for a certificate of any host its owner controls.
        "postgres://queue@db/jobs?sslmode=verify-ca", "postgres://queue@db/jobs?sslmode=require&sslrootcert=system",
        "postgres://queue@db/jobs?sslmode=verify-ca&sslrootcert=system",
    ])
    func refusesURLsItCannotConnectWith(_ url: String) {
        #expect(throws: PostgresStoreError.self) { try PostgresLocation(url: url, environment: [:]) }
    }
}
