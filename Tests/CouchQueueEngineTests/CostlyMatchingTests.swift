@testable import CouchQueueEngine
import Dispatch
import Synchronization
import Testing

@Suite struct CostlyMatchingTests {
    /// Past the bound, a publication is refused at once instead of waiting behind the others.
    @Test func workPastTheBoundIsRefusedWhileTheLaneIsBusy() async throws {
        let matching = CostlyMatching(lanes: 1, maxQueuedWork: 100)
        let release = DispatchSemaphore(value: 0)
        let started = Mutex(false)
        let first = Task {
            try await matching.run(work: 60) {
                started.withLock { $0 = true }
                release.wait()
                return ["a"]
            }
        }
        while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        await #expect { try await matching.run(work: 60) { ["b"] } } throws: { ($0 as? EngineError)?.code == .unavailable }
        release.signal()
        #expect(try await first.value == ["a"])
        #expect(try await matching.run(work: 60) { ["c"] } == ["c"], "the work done no longer counts")
    }

    @Test func aPublicationWhoseClientLeftIsNotMatched() async throws {
        let matching = CostlyMatching(lanes: 1, maxQueuedWork: 100)
        let client = ClientPresence()
        client.leave()
        let matched = Mutex(false)
        await #expect {
            try await ClientPresence.$current.withValue(client) {
                try await matching.run(work: 1) { matched.withLock { $0 = true }; return ["a"] }
            }
        } throws: { ($0 as? EngineError)?.code == .unavailable }
        #expect(!matched.withLock { $0 })
    }
}
