import CouchQueueStore
@testable import CouchQueueStorePostgres
import Testing

@Suite struct PostgresChangeEncodingTests {
    @Test(arguments: [
        StoreChange.interestsChanged, .resync, .tasksAvailable(["emails", "w_abc"]), .tasksDue(["q.1", "w_x"], at: 1_764_460_800.25),
        .tasksAvailable(["audit:all", "a:b:c"]), .tasksDue(["col:on"], at: 5),
    ])
    func notificationsReadBackAsTheyWereSent(_ change: StoreChange) {
        #expect(PostgresChangeChannel.payloads(change).map(PostgresChangeChannel.decode) == [change])
    }

    /// PostgreSQL refuses a payload of 8000 bytes or more: many keys take several.
    @Test func manyKeysAreSplitIntoPayloadsPostgreSQLAccepts() {
        let keys = (0..<1_000).map { "w_\(String(repeating: "x", count: 30))\($0)" }
        for change in [StoreChange.tasksAvailable(keys), .tasksDue(keys, at: 1_764_460_800.25)] {
            let payloads = PostgresChangeChannel.payloads(change)
            #expect(payloads.count > 1)
            #expect(payloads.allSatisfy { $0.utf8.count <= PostgresChangeChannel.maxPayloadBytes })
            let decoded = payloads.compactMap(PostgresChangeChannel.decode)
            #expect(decoded.count == payloads.count)
            #expect(PostgresChangeChannel.coalesce(decoded) == PostgresChangeChannel.coalesce([change]))
        }
    }

    @Test func unknownPayloadsAreIgnored() {
        #expect(PostgresChangeChannel.decode("due:soon:q") == nil)
        #expect(PostgresChangeChannel.decode("other") == nil)
    }
}

@Suite struct PostgresChangeCoalescingTests {
    @Test func aBatchBecomesOneNotificationPerKind() {
        let batch: [StoreChange] = [
            .tasksAvailable(["b"]), .tasksDue(["q"], at: 20), .interestsChanged, .tasksAvailable(["a", "b"]),
            .tasksDue(["r"], at: 20), .tasksDue(["q"], at: 10), .interestsChanged,
        ]
        #expect(PostgresChangeChannel.coalesce(batch) == [
            .interestsChanged, .tasksAvailable(["a", "b"]), .tasksDue(["q"], at: 10), .tasksDue(["q", "r"], at: 20),
        ])
    }
}
