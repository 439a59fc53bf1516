@testable import CouchQueueEngine
import CouchQueueModel
import Logging
import Testing

@Suite struct FastPostQueueTests {
    /// Publications wait in memory until stored: past the bound, one is refused, not held.
    @Test func pastItsBacklogAPublicationIsRefused() throws {
        let queue = FastPostQueue(logger: Logger(label: "tests"), maxBacklog: 2, maxBacklogBytes: 1_000)  // not running: nothing is stored
        try queue.submit({}, publicationId: "p_1", bytes: 10)
        try queue.submit({}, publicationId: "p_2", bytes: 10)
        #expect { try queue.submit({}, publicationId: "p_3", bytes: 10) } throws: { ($0 as? EngineError)?.code == .unavailable }
        #expect(queue.counts.accepted == 2)
    }

    /// What waits is bounded in bytes too; one publication is taken whatever its size when
    /// none waits, and what is stored makes room again.
    @Test func pastItsBacklogsBytesAPublicationIsRefused() async throws {
        let queue = FastPostQueue(logger: Logger(label: "tests"), maxBacklogBytes: 100)
        try queue.submit({}, publicationId: "p_1", bytes: 60)
        #expect { try queue.submit({}, publicationId: "p_2", bytes: 60) } throws: { ($0 as? EngineError)?.code == .unavailable }
        try queue.submit({}, publicationId: "p_3", bytes: 40)
        #expect(queue.counts.accepted == 2)
        let service = Task { await queue.run() }
        for _ in 0..<400 where queue.counts.stored < 2 { try await Task.sleep(for: .milliseconds(5)) }
        // Held until the service is cancelled.
        try queue.submit({ try await Task.sleep(for: .seconds(600)) }, publicationId: "p_4", bytes: 500)
        #expect { try queue.submit({}, publicationId: "p_5", bytes: 1) } throws: { ($0 as? EngineError)?.code == .unavailable }
        service.cancel()
    }

    @Test func aPublicationsHeldBytesGrowWithItsData() throws {
        let small = Publication(publisher: "p", data: .object(["a": .int(1)]))
        let values = Publication(publisher: "p", data: .object(["a": .array(Array(repeating: .int(0), count: 1_000))]))
        let text = Publication(publisher: "p", data: .object(["a": .string(String(repeating: "x", count: 10_000))]))
        #expect(small.heldBytes == 32 + 32 + 1 + 32 + 1)
        #expect(values.heldBytes >= 32 * 1_000 && text.heldBytes >= 10_000)
    }

    /// Errors found after the answer are counted (`GET /status?fastPost`).
    @Test func storedAndFailedPublicationsAreCounted() async throws {
        struct StoreDown: Error {}
        let queue = FastPostQueue(logger: Logger(label: "tests"), maxBacklogBytes: 1_000)
        let service = Task { await queue.run() }
        try queue.submit({}, publicationId: "p_1", bytes: 10)
        try queue.submit({ throw StoreDown() }, publicationId: "p_2", bytes: 10)
        for _ in 0..<400 where queue.counts.stored + queue.counts.failed < 2 { try await Task.sleep(for: .milliseconds(5)) }
        let counts = queue.counts
        #expect((counts.accepted, counts.stored, counts.failed) == (2, 1, 1))
        service.cancel()
    }
}
