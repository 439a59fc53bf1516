import CouchQueueModel
import CouchQueueStore
import Testing

enum PublishChecks {
    typealias F = StoreFixture
    static let all = [
        StoreCheck("publishStoresOneCopyPerQueue") { store in
            let f = F(store)
            let tasks = try await f.publish(["a", "b"], data: #"{"email":"x@y"}"#)
            #expect(tasks.map(\.queue) == ["a", "b"])
            #expect(Set(tasks.map(\.id)).count == 2)
            #expect(tasks.allSatisfy { $0.state == .queued && !$0.duplicate && $0.workerId == nil })
            let stored = try #require(try await store.task(id: tasks[0].id, now: F.t0))
            #expect(try stored.data.value == .object(["email": .string("x@y")]))
            #expect(stored.publisher == "tests" && stored.queue == "a" && stored.attempts == 0)
            #expect(stored.state == .queued && stored.createdAt == F.t0 && stored.startedAt == nil)
        },
        StoreCheck("futureTaskIsScheduledUntilDueAndNotHandedOutBefore") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            let task = try #require(try await f.publish(["a"], runAt: F.t0 + 10).first)
            #expect(task.state == .scheduled)
            #expect(try await f.state(task.id) == .scheduled)
            #expect(try await f.lease(worker) == nil)
            #expect(try await f.state(task.id, now: F.t0 + 10) == .queued)
            #expect(try await f.lease(worker, now: F.t0 + 10)?.id == task.id)
        },
        StoreCheck("scopeAllGivesEachWorkerOneCopyInItsFirstInterestedQueue") { store in
            let f = F(store)
            let w1 = try await f.worker(["a"])
            let w2 = try await f.worker(["b", "a"])
            _ = try await f.worker(["c"])
            let copies = try await f.publish(["a", "b"], scope: .all)
            let byWorker = Dictionary(uniqueKeysWithValues: copies.map { ($0.workerId!, $0.queue) })
            #expect(byWorker == [w1: "a", w2: "b"])
            #expect(try await store.workerQueueLength(workerId: w2) == 1)
            #expect(try await store.queueSummary(name: "a", now: F.t0)?.length == 0, "a copy counts for its worker, not its queue")
        },
        StoreCheck("scopeAllWithNoWorkerCreatesNothing") { store in
            let copies = try await F(store).publish(["a"], scope: .all)
            #expect(copies.isEmpty)
        },
        /// Each worker's copy has its own twin: the one waiting for that worker, not another
        /// worker's copy nor a task of the queue itself.
        StoreCheck("singularlyEnqueueOfScopeAllFindsEachWorkersOwnWaitingCopy") { store in
            let f = F(store)
            let (w1, w2) = (try await f.worker(["a"]), try await f.worker(["a"]))
            let data = #"{"reload":true}"#
            _ = try await f.publish(["a"], data: data, singularlyEnqueue: true)
            let first = try await f.publish(["a"], data: data, scope: .all, singularlyEnqueue: true)
            #expect(first.count == 2 && first.allSatisfy { !$0.duplicate })
            #expect(try await f.lease(w1)?.id == first.first { $0.workerId == w1 }?.id, "its own copy comes first")
            let again = try await f.publish(["a"], data: data, scope: .all, singularlyEnqueue: true)
            let byWorker = Dictionary(uniqueKeysWithValues: again.map { ($0.workerId!, $0) })
            #expect(byWorker[w1].map { !$0.duplicate } == true, "its copy is started, not waiting")
            #expect(byWorker[w2].map { $0.duplicate && $0.id == first.first { $0.workerId == w2 }?.id } == true)
        },
        StoreCheck("singularlyEnqueueAnswersTheWaitingTwin") { store in
            let f = F(store)
            let first = try #require(try await f.publish(["a"], data: #"{"x":1}"#, singularlyEnqueue: true).first)
            let again = try #require(try await f.publish(["a"], data: #"{"x":1}"#, singularlyEnqueue: true).first)
            #expect(again.duplicate && again.id == first.id)
            let other = try #require(try await f.publish(["a"], data: #"{"x":2}"#, singularlyEnqueue: true).first)
            #expect(!other.duplicate && other.id != first.id)
            let worker = try await f.worker(["a"])
            #expect(try await f.lease(worker)?.id == first.id)
            let afterStart = try #require(try await f.publish(["a"], data: #"{"x":1}"#, singularlyEnqueue: true).first)
            #expect(!afterStart.duplicate, "a started task is not waiting, so it is no twin")
        },
        StoreCheck("aTwinIsWaitingAgainOnceReEnqueuedOrExpiredAndGoneOnceFinished") { store in
            let f = F(store)
            let data = #"{"x":1}"#
            let task = try #require(try await f.publish(["a"], data: data).first).id
            let worker = try await f.worker(["a"])
            #expect(try await f.lease(worker)?.id == task)
            try await f.finish(worker, task, reEnqueue: true)
            #expect(try await f.publish(["a"], data: data, singularlyEnqueue: true).first?.id == task, "re-enqueued")
            #expect(try await f.lease(worker)?.id == task)
            #expect(try await store.expireLeases(now: F.t0 + F.lease + 1) == 1)
            #expect(try await f.publish(["a"], data: data, singularlyEnqueue: true).first?.id == task, "its lease expired")
            #expect(try await f.lease(worker)?.id == task)
            try await f.finish(worker, task, .fail)
            let next = try #require(try await f.publish(["a"], data: data, singularlyEnqueue: true).first)
            #expect(!next.duplicate && next.id != task, "a finished task is no twin")
        },
        StoreCheck("deletedTasksAreNoTwins") { store in
            let f = F(store)
            try await f.interested("a")
            let deleted = try #require(try await f.publish(["a"], singularlyEnqueue: true).first).id
            #expect(try await store.deleteQueue(queue: "a") == 1)
            let next = try #require(try await f.publish(["a"], singularlyEnqueue: true).first)
            #expect(!next.duplicate && next.id != deleted)
        },
        StoreCheck("concurrentSingularlyEnqueueTwinsMakeOneTask") { store in
            // Twins published at once race between looking for each other and inserting;
            // several rounds, so that a store without a guard loses the race at least once.
            let f = F(store)
            for round in 0..<10 {
                let ids = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<24 {
                        group.addTask { try #require(try await f.publish(["a"], data: #"{"round":\#(round)}"#, singularlyEnqueue: true).first).id }
                    }
                    return try await group.reduce(into: Set<String>()) { $0.insert($1) }
                }
                #expect(ids.count == 1, "round \(round): every publish names the one task")
            }
            let worker = try await f.worker(["a"])
            #expect(try await f.lease(worker, limit: 100).count == 10)
        },
        StoreCheck("singularlyEnqueueReportsTheTwinsOwnState") { store in
            let f = F(store)
            let scheduled = try #require(try await f.publish(["a"], singularlyEnqueue: true, runAt: F.t0 + 60).first)
            let twin = try #require(try await f.publish(["a"], singularlyEnqueue: true).first)
            #expect(twin.duplicate && twin.id == scheduled.id && twin.state == .scheduled)
        },
    ]
}
