@testable import CouchQueueEngine
import Dispatch
import Synchronization
import Testing

@Suite struct CostlyMatchingTests {
    /// Past the bound, a publication whose client waits is refused at once instead of waiting
    /// behind the others; one already answered (`fastPost`, no client) waits for room, and
    /// counts only once admitted.
    @Test(arguments: [true, false])
    func workPastTheBoundIsRefusedWhileTheLaneIsBusyUnlessAlreadyAnswered(clientWaits: Bool) async throws {
        let matching = CostlyMatching(lanes: 1, maxQueuedWork: 100)
        let release = DispatchSemaphore(value: 0)
        let started = Mutex(false)
        let first = Task {
            try await Self.withClient {
                try await matching.run(work: 60) {
                    started.withLock { $0 = true }
                    release.wait()
                    return ["a"]
                }
            }
        }
        try await waitUntil { started.withLock { $0 } }
        let answered = Mutex(false)
        let second = Task {
            defer { answered.withLock { $0 = true } }
            return try await ClientPresence.$current.withValue(clientWaits ? ClientPresence() : nil) {
                try await matching.run(work: 60) { ["b"] }
            }
        }
        try? await waitUntil { answered.withLock { $0 } }  // a refusal answers at once
        #expect(answered.withLock { $0 } == clientWaits)
        if !clientWaits {
            await #expect(throws: EngineError.self, "the waiting publication does not count") {
                try await Self.withClient { try await matching.run(work: 50) { ["too much"] } }
            }
            let fits = Task { try await Self.withClient { try await matching.run(work: 40) { ["c"] } } }
            release.signal()
            #expect(try await fits.value == ["c"])
            #expect(try await second.value == ["b"])
        } else {
            release.signal()  // never leaves a lane blocked, whatever the checks find
            await #expect { try await second.value } throws: { ($0 as? EngineError)?.code == .unavailable }
        }
        #expect(try await first.value == ["a"])
        #expect(try await Self.withClient { try await matching.run(work: 100) { ["d"] } } == ["d"], "the work done no longer counts")
    }

    @Test func eachLaneHasItsOwnBound() async throws {
        let matching = CostlyMatching(lanes: 2, maxQueuedWork: 100)
        let release = DispatchSemaphore(value: 0)
        let started = Mutex(0)
        let busy: @Sendable () async throws -> [String] = {
            try await Self.withClient {
                try await matching.run(work: 60) {
                    started.withLock { $0 += 1 }
                    release.wait()
                    return ["busy"]
                }
            }
        }
        let (first, second) = (Task { try await busy() }, Task { try await busy() })
        try? await waitUntil { started.withLock { $0 } == 2 }
        #expect(started.withLock { $0 } == 2, "both run at once, one on each lane")
        release.signal()
        release.signal()
        #expect(try await first.value == ["busy"])
        #expect(try await second.value == ["busy"])
    }

    /// Runs `body` as a request whose client waits for the answer.
    private static func withClient<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await ClientPresence.$current.withValue(ClientPresence()) { try await body() }
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

    private struct TimedOut: Error {}

    /// Polls `condition` for up to two seconds.
    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<400 where !condition() { try await Task.sleep(for: .milliseconds(5)) }
        guard condition() else { throw TimedOut() }
    }
}
