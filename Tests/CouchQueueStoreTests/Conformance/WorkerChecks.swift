import CouchQueueModel
import CouchQueueStore
import Testing

enum WorkerChecks {
    typealias F = StoreFixture
    static let all = [
        StoreCheck("heartbeatRenewsListedLeasesAndAnswersEveryHeldTask") { store in
            let f = F(store)
            try await f.publish(["a"])
            try await f.publish(["a"])
            let worker = try await f.worker(["a"])
            let t1 = try #require(try await f.lease(worker)).id
            let t2 = try #require(try await f.lease(worker)).id
            let held = try await store.heartbeat(
                HeartbeatParams(workerId: worker, taskIds: [t1, "t_unknown"], now: F.t0 + 50, leaseExpiresAt: F.t0 + 110))
            #expect(Set(held) == [t1, t2])
            #expect(try await store.expireLeases(now: F.t0 + F.lease) == 1)
            #expect(try await f.state(t1) == .started)
            #expect(try await f.state(t2) == .queued)
        },
        StoreCheck("heartbeatWithoutListRenewsEveryLease") { store in
            let f = F(store)
            try await f.publish(["a"])
            let worker = try await f.worker(["a"])
            let task = try #require(try await f.lease(worker)).id
            _ = try await store.heartbeat(HeartbeatParams(workerId: worker, taskIds: nil, now: F.t0 + 50, leaseExpiresAt: F.t0 + 110))
            #expect(try await store.expireLeases(now: F.t0 + 100) == 0)
            #expect(try await f.state(task) == .started)
        },
        StoreCheck("heartbeatOfUnknownWorkerIsRefused") { store in
            await expectStoreError(.workerNotFound) {
                _ = try await store.heartbeat(HeartbeatParams(workerId: "w_nobody", taskIds: nil, now: F.t0, leaseExpiresAt: F.t0))
            }
        },
        StoreCheck("deletedWorkerReturnsStartedTasksAndDropsItsCopies") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            try await f.publish(["a"])
            let started = try #require(try await f.lease(worker)).id
            let copy = try await f.publish(["a"], scope: .all)[0].id
            #expect(try await store.deleteWorkers(.id(worker)) == 1)
            #expect(try await f.state(started) == .queued)
            #expect(try await store.task(id: copy, now: F.t0) == nil)
            await expectStoreError(.workerNotFound) { _ = try await f.lease(worker) }
            await expectStoreError(.workerNotFound) { _ = try await store.deleteWorkers(.id(worker)) }
        },
        // A lease and its worker's deletion, at once, many times over: whichever commits first,
        // no task may stay started by a worker that is gone (it would wait for its lease to run out).
        StoreCheck("leasesRacingTheirWorkersDeletionStrandNoTask") { store in
            let f = F(store)
            let rounds = 40
            var tasks: [String] = []
            var workers: [String] = []
            for _ in 0..<rounds {
                tasks += try await f.publish(["a"]).map(\.id)
                workers.append(try await f.worker(["a"]))
            }
            try await withThrowingTaskGroup { group in
                for worker in workers {
                    group.addTask {
                        do { _ = try await F(store).lease(worker) } catch let error as StoreError where error.code == .workerNotFound {}
                    }
                    group.addTask { _ = try await store.deleteWorkers(.id(worker)) }
                }
                try await group.waitForAll()
            }
            for task in tasks { #expect(try await f.state(task) == .queued) }
        },
        // A worker with a started task and a waiting copy in a queue, deleted as the queue is:
        // both succeed, whichever goes first, and nothing of the queue is left.
        StoreCheck("aWorkerAndItsQueueDeletedAtOnceLeaveNothing") { store in
            let f = F(store)
            for round in 0..<20 {
                let queue = "q\(round)"
                try await f.interested(queue)
                let worker = try await f.worker([queue])
                let started = try await f.publish([queue])[0].id
                #expect(try await f.lease(worker)?.id == started)
                let copy = try await f.publish([queue], scope: .all)[0].id
                async let workerDeleted = store.deleteWorkers(.id(worker))
                async let queueDeleted = store.deleteQueue(queue: queue)
                #expect(try await (workerDeleted, queueDeleted) == (1, 1))
                #expect(try await f.state(started) == nil)
                #expect(try await f.state(copy) == nil)
            }
        },
        // A worker's heartbeats while it reports with `next` (each a sign of life, so each
        // rewrites its row): neither waits for the other for good.
        StoreCheck("heartbeatsRacingReportsThatLeaseTheNextTaskAllSucceed") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            let rounds = 150
            for _ in 0...rounds { try await f.publish(["a"]) }
            let first = try #require(try await f.lease(worker)).id
            try await withThrowingTaskGroup { group in
                group.addTask {
                    // At a fixed time: each report's lease then finds the sign of life old, and
                    // rewrites it too.
                    for _ in 1...rounds {
                        _ = try await store.heartbeat(HeartbeatParams(workerId: worker, taskIds: nil, now: F.t0, leaseExpiresAt: F.t0 + F.lease))
                    }
                }
                group.addTask {
                    var task = first
                    for round in 1...rounds {
                        task = try #require(try await F(store).finishThenLease(worker, task, limit: 1, now: F.t0 + Double(round)).next.first).id
                    }
                }
                try await group.waitForAll()
            }
        },
        // A worker's heartbeat (every other round, for some of its leases only) and its batch
        // report racing over the same leases, the report naming them in reverse: neither waits
        // for the other for good, nor is failed for it.
        StoreCheck("heartbeatsRacingBatchReportsInAnyOrderAllSucceed") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            for round in 1...20 {
                for _ in 0..<20 { try await f.publish(["a"]) }
                let held = try await f.lease(worker, limit: 20).map(\.id)
                let renewed = round.isMultiple(of: 2) ? held.enumerated().filter { $0.offset % 3 == 2 }.map(\.element) : nil
                try await withThrowingTaskGroup { group in
                    group.addTask {
                        _ = try await store.heartbeat(HeartbeatParams(workerId: worker, taskIds: renewed, now: F.t0, leaseExpiresAt: F.t0 + F.lease))
                    }
                    group.addTask {
                        let reports = held.reversed().map {
                            FinishParams(workerId: worker, taskId: $0, outcome: .success, failReason: nil, reEnqueue: false, attempt: nil, now: F.t0 + Double(round))
                        }
                        let results = try await store.finishTasks(reports)
                        #expect(results.allSatisfy { (try? $0.get()) != nil })
                    }
                    try await group.waitForAll()
                }
            }
        },
        // A batch report naming its leases in reverse, racing the deletion of their queue or
        // of their worker: neither is failed for a deadlock (the report may be refused).
        StoreCheck("batchReportsRacingTheirQueuesOrWorkersDeletionAreNotFailed") { store in
            let f = F(store)
            for round in 1...20 {
                let queue = "race-\(round)"
                let worker = try await f.worker([queue])
                for _ in 0..<20 { try await f.publish([queue]) }
                let held = try await f.lease(worker, limit: 20).map(\.id)
                try await withThrowingTaskGroup { group in
                    group.addTask {
                        if round.isMultiple(of: 2) {
                            _ = try await store.deleteQueue(queue: queue)
                        } else {
                            _ = try await store.deleteWorkers(.id(worker))
                        }
                    }
                    group.addTask {
                        _ = try await store.finishTasks(held.reversed().map {
                            FinishParams(workerId: worker, taskId: $0, outcome: .success, failReason: nil, reEnqueue: false, attempt: nil, now: F.t0)
                        })
                    }
                    try await group.waitForAll()
                }
            }
        },
        // A worker's reports, each on its own, racing its heartbeat over some of the same
        // leases and, every other round, its deletion: none is failed for a deadlock (a report
        // may be refused once the worker is gone).
        StoreCheck("plainReportsRacingHeartbeatsAndTheirWorkersDeletionAreNotFailed") { store in
            let f = F(store)
            for round in 1...20 {
                let worker = try await f.worker(["a"])
                for _ in 0..<8 { try await f.publish(["a"]) }
                let held = try await f.lease(worker, limit: 8).map(\.id)
                let now = F.t0 + Double(round)
                try await withThrowingTaskGroup { group in
                    group.addTask {
                        let renewed = held.enumerated().filter { $0.offset.isMultiple(of: 2) }.map(\.element)
                        do {
                            _ = try await store.heartbeat(HeartbeatParams(workerId: worker, taskIds: renewed, now: now, leaseExpiresAt: now + F.lease))
                        } catch let refusal as StoreError where refusal.code == .workerNotFound {}
                    }
                    if round.isMultiple(of: 2) { group.addTask { _ = try await store.deleteWorkers(.id(worker)) } }
                    for task in held.reversed() {
                        group.addTask {
                            let report = FinishParams(workerId: worker, taskId: task, outcome: .success, failReason: nil, reEnqueue: false, attempt: nil, now: now)
                            do {
                                _ = try await store.finishTask(report, thenLease: nil)
                            } catch let refusal as StoreError where [.workerNotFound, .notLeased].contains(refusal.code) {}
                        }
                    }
                    try await group.waitForAll()
                }
            }
        },
        // Two deletions of one worker at once: one deletes it, the other finds it gone.
        StoreCheck("racingDeletionsOfOneWorkerCountItOnce") { store in
            let f = F(store)
            for _ in 1...20 {
                let worker = try await f.worker(["a"])
                let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            do { return "deleted \(try await store.deleteWorkers(.id(worker)))" } catch let refusal as StoreError where refusal.code == .workerNotFound { return "not found" }
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }.sorted()
                }
                #expect(outcomes == ["deleted 1", "not found"])
            }
        },
        StoreCheck("deleteWorkersOnQueueCountsThemReturnsTheirTasksAndDropsTheirCopies") { store in
            let f = F(store)
            let first = try await f.worker(["a", "b"])
            _ = try await f.worker(["b"])
            let other = try await f.worker(["c"])
            try await f.publish(["b"])
            let started = try #require(try await f.lease(first)).id
            let copies = try await f.publish(["b"], scope: .all).map(\.id)
            #expect(copies.count == 2)
            #expect(try await store.deleteWorkers(.queue("b")) == 2)
            #expect(try await f.state(started) == .queued)
            for copy in copies { #expect(try await store.task(id: copy, now: F.t0) == nil) }
            #expect(try await store.deleteWorkers(.queue("b")) == 0)
            #expect(try await store.workers().map(\.workerId) == [other])
        },
        StoreCheck("deleteWorkersOnQueueReachesEveryWorkerWhateverItsSlices") { store in
            let f = F(store)
            let registered = 300  // more than a slice of 256
            for _ in 0..<registered { _ = try await f.worker(["b"]) }
            let other = try await f.worker(["c"])
            #expect(try await store.deleteWorkers(.queue("b")) == registered)
            #expect(try await store.workers().map(\.workerId) == [other])
        },
    ]
}
