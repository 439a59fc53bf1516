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
        ("", PostgresLocation.TLSMode.prefer, nil), ("?sslmode=allow", .prefer, nil), ("?sslmode=disable", .disable, nil),
        ("?sslmode=verify-ca", .verifyCA, nil), ("?sslmode=verify-full&sslrootcert=system", .verifyFull, nil),
        ("?sslmode=verify-full&sslrootcert=/etc/db-ca.pem", .verifyFull, "/etc/db-ca.pem"),
        // As libpq: `require` with an authority named checks the certificate against it.
        ("?sslrootcert=/etc/db-ca.pem&sslmode=require", .verifyCA, "/etc/db-ca.pem"),
    ] as [(String, PostgresLocation.TLSMode, String?)])
    func readsTLSModesAsLibpqDoes(_ query: String, _ mode: PostgresLocation.TLSMode, _ roots: String?) throws {
        let location = try PostgresLocation(url: "postgres://queue@db/jobs" + query, environment: [:])
        #expect(location.tls == mode && location.trustedRootsFile == roots)
    }

    @Test(arguments: [
        "postgres://db/jobs", "postgres://queue@db", "postgres://queue@db/", "mysql://queue@db/jobs",
        "postgres://queue@db/jobs?sslmode=sometimes", "not a url",
        // Not silently ignored: a revocation list or a client certificate the user counts on.
        "postgres://queue@db/jobs?sslmode=verify-full&sslcrl=/etc/crl.pem", "postgres://queue@db/jobs?sslcert=me.pem",
    ])
    func refusesURLsItCannotConnectWith(_ url: String) {
        #expect(throws: PostgresStoreError.self) { try PostgresLocation(url: url, environment: [:]) }
    }
}
