@testable import CouchQueueEngine
import CouchQueueModel
import Logging
import Testing

@Suite struct FastPostQueueTests {
    /// Publications wait in memory until stored: past the bound, one is refused, not held.
    @Test func pastItsBacklogAPublicationIsRefused() throws {
        let queue = FastPostQueue(logger: Logger(label: "tests"), maxBacklog: 2)  // not running: nothing is stored
        try queue.submit({}, publicationId: "p_1")
        try queue.submit({}, publicationId: "p_2")
        #expect { try queue.submit({}, publicationId: "p_3") } throws: { ($0 as? EngineError)?.code == .unavailable }
        #expect(queue.counts.accepted == 2)
    }

    /// Errors found after the answer are counted (`GET /status?fastPost`).
    @Test func storedAndFailedPublicationsAreCounted() async throws {
        struct StoreDown: Error {}
        let queue = FastPostQueue(logger: Logger(label: "tests"))
        let service = Task { await queue.run() }
        try queue.submit({}, publicationId: "p_1")
        try queue.submit({ throw StoreDown() }, publicationId: "p_2")
        for _ in 0..<400 where queue.counts.stored + queue.counts.failed < 2 { try await Task.sleep(for: .milliseconds(5)) }
        let counts = queue.counts
        #expect((counts.accepted, counts.stored, counts.failed) == (2, 1, 1))
        service.cancel()
    }
}
