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
        "postgres://db/jobs", "postgres://queue@db", "postgres://queue@db/", "mysql://queue@db/jobs",
        "postgres://queue@db/jobs?sslmode=sometimes", "not a url",
    ])
    func refusesURLsItCannotConnectWith(_ url: String) {
        #expect(throws: PostgresStoreError.self) { try PostgresLocation(url: url, environment: [:]) }
    }
}
