import CouchQueueModel
import CouchQueueStore
import Testing

enum MaintenanceChecks {
    typealias F = StoreFixture
    static let all = [
        StoreCheck("expiredLeasesReturnTasksToTheirQueue") { store in
            let f = F(store)
            try await f.publish(["a"])
            let worker = try await f.worker(["a"])
            let task = try #require(try await f.lease(worker)).id
            #expect(try await store.expireLeases(now: F.t0 + F.lease - 1) == 0)
            #expect(try await store.expireLeases(now: F.t0 + F.lease) == 1)
            let back = try #require(try await store.task(id: task, now: F.t0))
            #expect(back.state == .queued && back.workerId == nil && back.attempts == 1)
        },
        StoreCheck("leasesRunOutInTurnAcrossPasses") { store in
            let f = F(store)
            for _ in 0..<2 { try await f.publish(["a"]) }
            let worker = try await f.worker(["a"])
            let first = try #require(try await f.lease(worker)).id
            #expect(try await store.expireLeases(now: F.t0 + 10) == 0)
            let second = try #require(try await f.lease(worker, now: F.t0 + 20)).id
            // A renewal may also bring a lease's end nearer.
            _ = try await store.heartbeat(
                HeartbeatParams(workerId: worker, taskIds: [second], now: F.t0 + 20, leaseExpiresAt: F.t0 + 30))
            #expect(try await store.expireLeases(now: F.t0 + 30) == 1)
            #expect(try await store.task(id: second, now: F.t0 + 30)?.state == .queued)
            #expect(try await store.expireLeases(now: F.t0 + F.lease - 1) == 0)
            #expect(try await store.expireLeases(now: F.t0 + F.lease) == 1)
            #expect(try await store.task(id: first, now: F.t0 + F.lease)?.state == .queued)
        },
        StoreCheck("aLeaseAfterAPassThatFoundNothingStartedStillRunsOut") { store in
            let f = F(store)
            try await f.publish(["a"])
            let worker = try await f.worker(["a"])
            #expect(try await store.expireLeases(now: F.t0) == 0)
            _ = try #require(try await f.lease(worker))
            #expect(try await store.expireLeases(now: F.t0 + F.lease) == 1)
        },
        StoreCheck("reapingRemovesOnlySilentWorkersHoldingNothing") { store in
            let f = F(store)
            let silentIdle = try await f.worker(["a"])
            let silentBusy = try await f.worker(["a"])
            let recent = try await f.worker(["a"], now: F.t0 + 100)
            #expect(try await f.lease(silentIdle) == nil, "known to the store by a lease before it is reaped")
            try await f.publish(["a"])
            _ = try #require(try await f.lease(silentBusy))
            #expect(try await store.reapWorkers(lastSeenBefore: F.t0 + 50) == 1)
            let left = Set(try await store.workers().map(\.workerId))
            #expect(left == [silentBusy, recent])
            await expectStoreError(.workerNotFound) { _ = try await f.lease(silentIdle) }
        },
        StoreCheck("reapingReachesEverySilentWorkerOfAPassWhateverItsSlices") { store in
            let f = F(store)
            let silent = 300  // more than SQLite's slice of 256
            for _ in 0..<silent { _ = try await f.worker(["a"]) }
            let recent = try await f.worker(["a"], now: F.t0 + 100)
            #expect(try await store.reapWorkers(lastSeenBefore: F.t0 + 50) == silent)
            #expect(try await store.workers().map(\.workerId) == [recent])
        },
        StoreCheck("leaseCountsAsASignOfLife") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            _ = try await f.lease(worker, now: F.t0 + 100)
            #expect(try await store.reapWorkers(lastSeenBefore: F.t0 + 50) == 0)
            #expect(try await store.worker(id: worker)?.lastSeenAt == F.t0 + 100)
        },
        StoreCheck("reportCountsAsASignOfLife") { store in
            let f = F(store)
            let (single, batch) = (try await f.worker(["a"]), try await f.worker(["a"]))
            for _ in 0..<2 { try await f.publish(["a"]) }
            let (first, second) = (try #require(try await f.lease(single)), try #require(try await f.lease(batch)))
            try await f.finish(single, first.id, now: F.t0 + 100)
            let report = FinishParams(workerId: batch, taskId: second.id, outcome: .success, failReason: nil, reEnqueue: false, attempt: nil, now: F.t0 + 100)
            _ = try await store.finishTasks([report])
            #expect(try await store.reapWorkers(lastSeenBefore: F.t0 + 50) == 0)
            #expect(try await store.worker(id: single)?.lastSeenAt == F.t0 + 100)
            #expect(try await store.worker(id: batch)?.lastSeenAt == F.t0 + 100)
            // A refused report too: the worker called.
            for (reEnqueue, now) in [(false, F.t0 + 200), (true, F.t0 + 300)] {
                await expectStoreError(.taskNotFound) { try await f.finish(single, "t_nothing", reEnqueue: reEnqueue, now: now) }
                #expect(try await store.worker(id: single)?.lastSeenAt == now, "reEnqueue: \(reEnqueue)")
            }
        },
        StoreCheck("sweepDeletesSucceededTasksPastRetentionInBatches") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            for _ in 0..<3 { try await f.publish(["a"]) }
            while let task = try await f.lease(worker) { try await f.finish(worker, task.id, now: F.t0 + 1) }
            try await f.publish(["a"])
            let failed = try #require(try await f.lease(worker)).id
            try await f.finish(worker, failed, .fail, now: F.t0 + 1)
            #expect(try await store.sweepSucceeded(finishedBefore: F.t0 + 1, limit: 10) == 0)
            #expect(try await store.sweepSucceeded(finishedBefore: F.t0 + 2, limit: 2) == 2)
            #expect(try await store.sweepSucceeded(finishedBefore: F.t0 + 2, limit: 2) == 1)
            #expect(try await f.state(failed) == .failed, "failed tasks stay in the failed queue")
        },
    ]
}
