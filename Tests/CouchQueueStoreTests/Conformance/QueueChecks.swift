import CouchQueueModel
import CouchQueueStore
import Testing

enum QueueChecks {
    typealias F = StoreFixture
    static let all = [
        StoreCheck("setInterestsCreatesTheQueueAndReplacesItsInterests") { store in
            try await store.setInterests(queue: "a", interests: .fields(["email": "@"]), now: F.t0)
            try await store.setInterests(queue: "a", interests: .fields(["user.id": "^1"]), now: F.t0)
            try await store.setInterests(queue: "b", interests: .everything, now: F.t0)
            #expect(try await store.allInterests() == ["a": .fields(["user.id": "^1"]), "b": .everything])
            #expect(try await store.queueSummary(name: "a", now: F.t0) == QueueSummary(name: "a", length: 0, scheduled: 0, started: 0))
        },
        StoreCheck("clearInterestsKeepsTheQueue") { store in
            try await F(store).interested("a")
            #expect(try await store.clearInterests(queue: "a"))
            #expect(try await store.allInterests().isEmpty)
            #expect(try await store.queueSummary(name: "a", now: F.t0) != nil)
            #expect(try await !store.clearInterests(queue: "nope"))
        },
        StoreCheck("deleteQueueRemovesWaitingTasksAndLeavesStartedOnes") { store in
            let f = F(store)
            try await f.interested("a")
            let worker = try await f.worker(["a"])
            let other = try await f.worker(["b", "a"])
            for _ in 0..<3 { try await f.publish(["a"]) }
            let started = try #require(try await f.lease(worker)).id
            try await f.publish(["a", "b"], scope: .all)  // a copy for each worker, in its first of the two
            #expect(try await store.deleteQueue(queue: "a") == 2 + 1)
            #expect(try await f.lease(other)?.queue == "b", "the other worker's copy in b stays")
            #expect(try await store.queueSummary(name: "a", now: F.t0) == nil)
            #expect(try await store.allInterests().isEmpty)
            #expect(try await f.finish(worker, started).state == .succeeded)
            #expect(try await store.deleteQueue(queue: "a") == nil)
        },
    ]
}
