import CouchQueueStore
import Testing

/// One behaviour every `QueueStore` must have, as a named value, so that each store's test
/// suite runs every check as its own test case (`@Test(arguments: StoreConformance.all)`).
struct StoreCheck: Sendable, CustomTestStringConvertible {
    let name: String
    let run: @Sendable (any QueueStore) async throws -> Void

    init(_ name: String, _ run: @escaping @Sendable (any QueueStore) async throws -> Void) {
        self.name = name
        self.run = run
    }

    var testDescription: String { name }
}

/// The conformance suite: written once, run against every store.
enum StoreConformance {
    static let all: [StoreCheck] =
        PublishChecks.all + LeaseChecks.all + FinishChecks.all + WorkerChecks.all + QueueChecks.all
        + MaintenanceChecks.all + ReadChecks.all
}
