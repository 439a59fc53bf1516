import CouchQueueModel
import CouchQueueStore
import Testing

enum QueueChecks {
    typealias F = StoreFixture
    static let all = [
        // Every change of interests counts: a publish routed before one is refused, whole.
        StoreCheck("aPublishRoutedBeforeAnInterestChangeIsRefusedAndStoresNothing") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            func insert(_ scope: TaskScope, into queue: String = "a", routedAt version: Int64) async throws -> [PublishedTask] {
                try await store.insertTasks(InsertTasksParams(
                    publicationId: RandomID.make("p"), publisher: "tests", data: "{}", queues: [queue], scope: scope,
                    singularlyEnqueue: false, singularlyRun: false, runAt: F.t0, now: F.t0, routingCheck: .routedAt(version)))
            }
            let changes: [(name: String, run: () async throws -> Void)] = [
                ("set", { try await f.interested("a") }),
                ("clear", { _ = try await store.clearInterests(queue: "a") }),
                ("delete", { _ = try await store.deleteQueue(queue: "a") }),
            ]
            for change in changes {
                try await f.interested("a")
                let before = try await store.interestsVersion()
                try await change.run()
                #expect(try await store.interestsVersion() > before, "\(change.name)")
                for scope in [TaskScope.any, .all] {
                    await expectStoreError(.staleInterests) { _ = try await insert(scope, routedAt: before) }
                }
                // Even a publish that would store nothing: no worker is registered on `b`.
                await expectStoreError(.staleInterests) { _ = try await insert(.all, into: "b", routedAt: before) }
            }
            let queued = try await store.queueSummary(name: "a", now: F.t0)?.length ?? 0
            #expect(queued + (try await store.workerQueueLength(workerId: worker) ?? 0) == 0)
            try await f.interested("a")
            #expect(try await insert(.any, routedAt: try await store.interestsVersion()).count == 1)
        },
        // Checked for its queues' interests, a publish is stored whatever changed elsewhere
        // since, and refused whole once one of its queues has other interests, or none.
        StoreCheck("aPublishCheckedForItsQueuesInterestsIsRefusedOnlyWhenTheyChanged") { store in
            let f = F(store)
            let star = StoredText.interests(.everything)
            func insert(into queues: [String], routedWith interests: String = star) async throws -> [PublishedTask] {
                try await store.insertTasks(InsertTasksParams(
                    publicationId: RandomID.make("p"), publisher: "tests", data: "{}", queues: queues, scope: .any,
                    singularlyEnqueue: false, singularlyRun: false, runAt: F.t0, now: F.t0,
                    routingCheck: .queuesHold(Dictionary(uniqueKeysWithValues: queues.map { ($0, interests) }))))
            }
            for queue in ["a", "b", "c", "d"] { try await f.interested(queue) }
            _ = try await store.clearInterests(queue: "d")
            #expect(try await insert(into: ["a", "b"]).count == 2)
            _ = try await store.clearInterests(queue: "b")
            await expectStoreError(.staleInterests) { _ = try await insert(into: ["a", "b"]) }
            _ = try await store.deleteQueue(queue: "c")
            await expectStoreError(.staleInterests) { _ = try await insert(into: ["c"]) }
            // Re-created with other interests, it is not the queue that routing chose.
            try await store.setInterests(queue: "c", interests: .fields(["k": "^v$"]), now: F.t0)
            await expectStoreError(.staleInterests) { _ = try await insert(into: ["a", "c"]) }
            #expect(try await insert(into: ["c"], routedWith: StoredText.interests(.fields(["k": "^v$"]))).count == 1)
            #expect(try await store.queueSummary(name: "a", now: F.t0)?.length == 1)
        },
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
        // Its workers may still report on them, but none goes back to the queue: not by
        // `reEnqueue`, nor when its lease runs out, nor when its worker is deleted; and not
        // into a queue of the same name created before then (`b`), which is another queue and
        // does not count them as its own.
        StoreCheck("startedTasksOfADeletedQueueNeverGoBack") { store in
            let f = F(store)
            for (queue, recreated) in [("a", false), ("b", true)] {
                try await f.interested(queue)
                let (worker, other) = (try await f.worker([queue]), try await f.worker([queue]))
                for _ in 0..<4 { try await f.publish([queue]) }
                let reported = try #require(try await f.lease(worker)).id
                let held = try #require(try await f.lease(worker)).id
                let expiring = try #require(try await f.lease(other)).id
                let waiting = try #require(try await f.lease(other)).id
                _ = try await store.heartbeat(
                    HeartbeatParams(workerId: other, taskIds: [waiting], now: F.t0 + 1, leaseExpiresAt: F.t0 + 1 + F.lease))
                #expect(try await store.deleteQueue(queue: queue) == 0)
                if recreated {
                    try await f.interested(queue)
                    #expect(try await store.queueSummary(name: queue, now: F.t0)?.started == 0, "\(queue)")
                    #expect(try await store.queueOverviews(now: F.t0).first { $0.name == queue }?.started == 0, "\(queue)")
                }

                #expect(try await f.finish(worker, reported, reEnqueue: true).state == .succeeded, "\(queue)")
                #expect(try await store.deleteWorkers(.id(worker)) == 1)
                #expect(try await f.state(held) == nil, "\(queue)")
                #expect(try await store.expireLeases(now: F.t0 + F.lease) == 1)
                #expect(try await f.state(expiring) == nil, "\(queue)")
                #expect(try await f.finish(other, waiting, .fail, reEnqueue: true).state == .failed, "\(queue)")
                try await f.interested(queue)
                #expect(try await f.lease(other) == nil, "\(queue)")
            }
        },
        // A publish stored while the queue is deleted is deleted with it; one routed before
        // the deletion and storing after it is refused as stale. Either way none is left.
        StoreCheck("publishesRacingAQueuesDeletionLeaveNoTaskBehind") { store in
            let f = F(store)
            for round in 0..<20 {
                let queue = "racing-\(round)"
                try await f.interested(queue)
                let version = try await store.interestsVersion()
                let stored = try await withThrowingTaskGroup(of: [String].self) { group in
                    for i in 0..<16 {
                        if i == 8 { group.addTask { _ = try await store.deleteQueue(queue: queue); return [] } }
                        group.addTask {
                            do {
                                return try await store.insertTasks(InsertTasksParams(
                                    publicationId: RandomID.make("p"), publisher: "tests", data: #"{"i":\#(i)}"#, queues: [queue],
                                    scope: .any, singularlyEnqueue: false, singularlyRun: false, runAt: F.t0, now: F.t0,
                                    routingCheck: .routedAt(version))).map(\.id)
                            } catch let error as StoreError where error.code == .staleInterests { return [] }
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                for id in stored { #expect(try await f.state(id) == nil, "round \(round): \(id) outlived its queue") }
            }
        },
        // Scope `all` copies for a worker deleted while they are stored are deleted with it.
        StoreCheck("scopeAllPublishesRacingAWorkersDeletionLeaveNoCopyBehind") { store in
            let f = F(store)
            try await f.interested("a")
            for round in 0..<20 {
                let workers = [try await f.worker(["a"]), try await f.worker(["a"])]
                let stored = try await withThrowingTaskGroup(of: [PublishedTask].self) { group in
                    for i in 0..<16 {
                        if i == 8 { group.addTask { _ = try await store.deleteWorkers(.id(workers[0])); return [] } }
                        group.addTask { try await f.publish(["a"], data: #"{"i":\#(i)}"#, scope: .all) }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                for copy in stored where copy.workerId == workers[0] {
                    #expect(try await f.state(copy.id) == nil, "round \(round): \(copy.id) outlived its worker")
                }
                #expect(stored.filter { $0.workerId == workers[1] }.count == 16)
                _ = try await store.deleteWorkers(.id(workers[1]))
            }
        },
    ]
}
