import CouchQueueModel
import CouchQueueStore
import Testing

enum LeaseChecks {
    typealias F = StoreFixture
    static let all = [
        StoreCheck("leaseHandsOutOldestDueFirstThenPublicationOrder") { store in
            let f = F(store)
            let late = try await f.publish(["a"], runAt: F.t0 - 1)[0].id
            let early = try await f.publish(["a"], runAt: F.t0 - 3)[0].id
            let sameA = try await f.publish(["a"], runAt: F.t0 - 2)[0].id
            let sameB = try await f.publish(["a"], runAt: F.t0 - 2)[0].id
            let worker = try await f.worker(["a"])
            var order: [String] = []
            while let task = try await f.lease(worker) { order.append(task.id) }
            #expect(order == [early, sameA, sameB, late])
        },
        StoreCheck("leaseFollowsQueuePriority") { store in
            let f = F(store)
            let low = try await f.publish(["low"])[0].id
            let high = try await f.publish(["high"])[0].id
            let worker = try await f.worker(["high", "low"])
            #expect(try await f.lease(worker)?.id == high)
            #expect(try await f.lease(worker)?.id == low)
        },
        StoreCheck("ownCopiesComeBeforeQueues") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            let shared = try await f.publish(["a"])[0].id
            let own = try await f.publish(["a"], scope: .all)[0].id
            #expect(try await f.lease(worker)?.id == own)
            #expect(try await f.lease(worker)?.id == shared)
        },
        StoreCheck("leaseMarksStartedAndCountsAttempts") { store in
            let f = F(store)
            let id = try await f.publish(["a"])[0].id
            let worker = try await f.worker(["a"])
            let task = try #require(try await f.lease(worker, now: F.t0 + 1))
            #expect(task.id == id && task.state == .started && task.workerId == worker)
            #expect(task.attempts == 1 && task.startedAt == F.t0 + 1)
            #expect(try await f.lease(worker) == nil)
        },
        StoreCheck("concurrentLeasesNeverShareATask") { store in
            let f = F(store)
            for _ in 0..<10 { try await f.publish(["a"]) }
            var workers: [String] = []
            for _ in 0..<20 { workers.append(try await f.worker(["a"])) }
            let leased = try await withThrowingTaskGroup(of: String?.self) { group in
                for worker in workers { group.addTask { try await f.lease(worker)?.id } }
                return try await group.reduce(into: [String]()) { if let id = $1 { $0.append(id) } }
            }
            #expect(leased.count == 10)
            #expect(Set(leased).count == 10)
        },
        StoreCheck("singularlyRunHoldsBackOnlyStartedTwins") { store in
            let f = F(store)
            let x1 = try await f.publish(["a"], data: #"{"x":1}"#, singularlyRun: true)[0].id
            let x2 = try await f.publish(["a"], data: #"{"x":1}"#, singularlyRun: true)[0].id
            let y = try await f.publish(["a"], data: #"{"y":1}"#, singularlyRun: true)[0].id
            let worker = try await f.worker(["a"])
            #expect(try await f.lease(worker)?.id == x1)
            #expect(try await f.lease(worker)?.id == y)
            #expect(try await f.lease(worker) == nil)
            try await f.finish(worker, x1)
            #expect(try await f.lease(worker)?.id == x2)
        },
        StoreCheck("concurrentLeasesStartOneSingularlyRunTwin") { store in
            let f = F(store)
            for _ in 0..<6 { try await f.publish(["a"], data: #"{"x":1}"#, singularlyRun: true) }
            var workers: [String] = []
            for _ in 0..<8 { workers.append(try await f.worker(["a"])) }
            for round in 0..<3 {
                let leased = try await withThrowingTaskGroup(of: (worker: String, task: String)?.self) { group in
                    for worker in workers { group.addTask { try await f.lease(worker).map { (worker, $0.id) } } }
                    return try await group.reduce(into: [(worker: String, task: String)]()) { if let got = $1 { $0.append(got) } }
                }
                #expect(leased.count == 1, "round \(round): one twin at a time, whoever asks")
                if let first = leased.first { try await f.finish(first.worker, first.task) }
            }
        },
        StoreCheck("severalLeasedAtOnceComeInTheOrderOfSingleLeases") { store in
            let f = F(store)
            let worker = try await f.worker(["high", "low"])
            let low = try await f.publish(["low"])[0].id
            let high = try await f.publish(["high"])[0].id
            let own = try await f.publish(["high"], scope: .all)[0].id
            let twin = try await f.publish(["high"], data: #"{"x":1}"#, singularlyRun: true)[0].id
            _ = try await f.publish(["high"], data: #"{"x":1}"#, singularlyRun: true)
            let later = try await f.publish(["low"])[0].id
            let leased = try await f.lease(worker, limit: 4)
            #expect(leased.map(\.id) == [own, high, twin, low])
            #expect(leased.allSatisfy { $0.state == .started && $0.workerId == worker && $0.attempts == 1 })
            #expect(try await f.lease(worker, limit: 10).map(\.id) == [later])
            #expect(try await f.lease(worker, limit: 10).isEmpty)
        },
        // A plain task is a twin too: a `singularlyRun` task with its queue and data is held
        // back when both would be leased at once, as it is when the plain one was leased first.
        StoreCheck("severalLeasedAtOnceHoldBackASingularlyRunTaskBehindAPlainTwin") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            let plain = try await f.publish(["a"], data: #"{"x":1}"#)[0].id
            let singular = try await f.publish(["a"], data: #"{"x":1}"#, singularlyRun: true)[0].id
            let other = try await f.publish(["a"], data: #"{"x":2}"#)[0].id
            #expect(try await f.lease(worker, limit: 3).map(\.id) == [plain, other])
            try await f.finish(worker, plain)
            #expect(try await f.lease(worker, limit: 3).map(\.id) == [singular])
        },
        // Twins share a queue: equal data in another queue holds nothing back, even when the
        // lease has just passed over a held-back twin in the first.
        StoreCheck("aHeldBackTwinHoldsBackNothingInAnotherQueue") { store in
            let f = F(store)
            let worker = try await f.worker(["a", "b"])
            let first = try await f.publish(["a"], data: #"{"x":1}"#, singularlyRun: true)[0].id
            _ = try await f.publish(["a"], data: #"{"x":1}"#, singularlyRun: true)
            let elsewhere = try await f.publish(["b"], data: #"{"x":1}"#, singularlyRun: true)[0].id
            #expect(try await f.lease(worker, limit: 3).map(\.id) == [first, elsewhere])
        },
        // A worker's own copy and a task of its queue with the same data are twins too (same
        // queue and data): the copy, chosen first, holds the other back in the same lease.
        StoreCheck("anOwnCopyChosenHoldsBackASingularlyRunTwinOfItsQueue") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            let copy = try await f.publish(["a"], data: #"{"x":1}"#, scope: .all)[0].id
            let singular = try await f.publish(["a"], data: #"{"x":1}"#, singularlyRun: true)[0].id
            let other = try await f.publish(["a"], data: #"{"x":2}"#, singularlyRun: true)[0].id
            #expect(try await f.lease(worker, limit: 3).map(\.id) == [copy, other])
            try await f.finish(worker, copy)
            #expect(try await f.lease(worker, limit: 3).map(\.id) == [singular])
        },
        StoreCheck("dueTasksAreTheOnesALeaseWouldFindAndLookingWritesNothing") { store in
            let f = F(store)
            let worker = try await f.worker(["high", "low"])
            let other = try await f.worker(["elsewhere"])
            #expect(try await store.hasDueTasks(workerId: worker, now: F.t0) == false)
            try await f.publish(["elsewhere"])
            try await f.publish(["low"], runAt: F.t0 + 10)
            #expect(try await store.hasDueTasks(workerId: worker, now: F.t0) == false, "another queue's task, or one not due yet")
            #expect(try await store.hasDueTasks(workerId: worker, now: F.t0 + 10) == true, "due in the queue it names last")
            try await f.publish(["high"], scope: .all)
            #expect(try await store.hasDueTasks(workerId: worker, now: F.t0) == true, "its own copy")
            #expect(try await store.hasDueTasks(workerId: other, now: F.t0) == true)
            #expect(try await store.worker(id: worker)?.lastSeenAt == F.t0, "looking is no sign of life: it writes nothing")
            _ = try await f.lease(worker, limit: 2, now: F.t0 + 1)
            #expect(try await store.hasDueTasks(workerId: worker, now: F.t0 + 1) == false, "what it found is started")
            #expect(try await store.hasDueTasks(workerId: "w_nobody", now: F.t0) == nil)
        },
        StoreCheck("leaseByUnknownWorkerIsRefused") { store in
            await expectStoreError(.workerNotFound) { _ = try await F(store).lease("w_nobody") }
        },
    ]
}
