import CouchQueueStore
@testable import CouchQueueStorePostgres
import Testing

@Suite struct PostgresChangeEncodingTests {
    @Test(arguments: [
        StoreChange.interestsChanged, .resync, .tasksAvailable(["emails", "w_abc"]), .tasksDue(["q.1", "w_x"], at: 1_764_460_800.25),
    ])
    func notificationsReadBackAsTheyWereSent(_ change: StoreChange) {
        #expect(PostgresChangeListener.decode(PostgresChangeListener.encode(change)) == change)
    }

    @Test func unknownPayloadsAreIgnored() {
        #expect(PostgresChangeListener.decode("due:soon:q") == nil)
        #expect(PostgresChangeListener.decode("other") == nil)
    }
}
