import CouchQueueModel
import CouchQueueStore
import Testing

enum FinishChecks {
    typealias F = StoreFixture

    /// A worker holding a freshly leased task.
    static func leased(_ f: F) async throws -> (worker: String, task: QueueTask) {
        try await f.publish(["a"])
        let worker = try await f.worker(["a"])
        return (worker, try #require(try await f.lease(worker)))
    }

    static let all = [
        StoreCheck("successMovesTaskToSucceeded") { store in
            let f = F(store)
            let (worker, task) = try await leased(f)
            let done = try await f.finish(worker, task.id, now: F.t0 + 2)
            #expect(done.state == .succeeded && done.finishedAt == F.t0 + 2)
            #expect(try await f.state(task.id) == .succeeded)
        },
        StoreCheck("failMovesTaskToFailedQueueWithReason") { store in
            let f = F(store)
            let (worker, task) = try await leased(f)
            let failed = try await f.finish(worker, task.id, .fail, failReason: "boom")
            #expect(failed.state == .failed && failed.failReason == "boom" && failed.attempts == 1)
            let page = try await store.failedTasks(offset: 0, limit: 10, maxBytes: .max, now: F.t0)
            #expect(page.length == 1 && page.tasks.map(\.id) == [task.id])
        },
        StoreCheck("reEnqueueReturnsTheSameTaskToItsQueue") { store in
            let f = F(store)
            let (worker, task) = try await leased(f)
            let back = try await f.finish(worker, task.id, .fail, reEnqueue: true, failReason: "later")
            #expect(back.id == task.id && back.state == .queued && back.workerId == nil)
            #expect(try await store.failedTasks(offset: 0, limit: 10, maxBytes: .max, now: F.t0).length == 0)
            let again = try #require(try await f.lease(worker))
            #expect(again.id == task.id && again.attempts == 2)
            #expect(try await f.finish(worker, task.id, reEnqueue: true).state == .queued)
        },
        StoreCheck("finishFromAnotherWorkerIsNotLeased") { store in
            let f = F(store)
            let (_, task) = try await leased(f)
            let other = try await f.worker(["a"])
            await expectStoreError(.notLeased) { try await f.finish(other, task.id) }
            #expect(try await f.state(task.id) == .started)
        },
        StoreCheck("finishAtAStaleAttemptIsNotLeased") { store in
            let f = F(store)
            let (first, task) = try await leased(f)
            #expect(try await store.expireLeases(now: F.t0 + F.lease) == 1)
            let second = try await f.worker(["a"])
            let retaken = try #require(try await f.lease(second, now: F.t0 + F.lease))
            #expect(retaken.id == task.id && retaken.attempts == 2)
            await expectStoreError(.notLeased) { try await f.finish(first, task.id, attempt: 1) }
            await expectStoreError(.notLeased) { try await f.finish(second, task.id, attempt: 1) }
            #expect(try await f.finish(second, task.id, attempt: 2).state == .succeeded)
        },
        StoreCheck("finishedTaskCannotBeFinishedAgain") { store in
            let f = F(store)
            let (worker, task) = try await leased(f)
            try await f.finish(worker, task.id)
            await expectStoreError(.notLeased) { try await f.finish(worker, task.id, .fail) }
            #expect(try await f.state(task.id) == .succeeded)
        },
        StoreCheck("finishThenLeaseHandsOutTheNextTasksInOrder") { store in
            let f = F(store)
            let (worker, task) = try await leased(f)
            let next = try await f.publish(["a"]).map(\.id) + f.publish(["a"]).map(\.id)
            let done = try await f.finishThenLease(worker, task.id, limit: 5)
            #expect(done.task.state == .succeeded && done.next.map(\.id) == next)
            #expect(done.next.allSatisfy { $0.state == .started && $0.workerId == worker })
            #expect(try await f.finishThenLease(worker, next[0], limit: 1).next.isEmpty)
        },
        StoreCheck("finishThenLeaseCanTakeBackAReEnqueuedTask") { store in
            let f = F(store)
            let (worker, task) = try await leased(f)
            let again = try await f.finishThenLease(worker, task.id, reEnqueue: true, limit: 1, now: F.t0 + 1)
            #expect(again.next.map(\.id) == [task.id] && again.next[0].attempts == 2)
        },
        StoreCheck("aRefusedFinishLeasesNothing") { store in
            let f = F(store)
            let (_, task) = try await leased(f)
            let waiting = try await f.publish(["a"])[0].id
            let other = try await f.worker(["a"])
            await expectStoreError(.notLeased) { _ = try await f.finishThenLease(other, task.id, limit: 1) }
            #expect(try await f.state(waiting) == .queued)
        },
        StoreCheck("severalReportsAreAnsweredEachOnItsOwnInOrder") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            for _ in 0..<4 { try await f.publish(["a"]) }
            let held = try await f.lease(worker, limit: 4)
            let report = { (task: String, outcome: TaskOutcome, reason: String?, reEnqueue: Bool, attempt: Int?) in
                FinishParams(workerId: worker, taskId: task, outcome: outcome, failReason: reason, reEnqueue: reEnqueue, attempt: attempt, now: F.t0 + 1)
            }
            let results = try await store.finishTasks([
                report(held[1].id, .fail, "boom", false, nil), report("t_nothing", .success, nil, false, nil),
                report(held[0].id, .success, nil, false, 1), report(held[0].id, .success, nil, false, nil),
                report(held[2].id, .success, nil, false, 2), report(held[3].id, .fail, "later", true, nil),
            ])
            #expect(try results[0].get().state == .failed && results[0].get().failReason == "boom")
            #expect(results[1].refusal == .taskNotFound)
            #expect(try results[2].get().state == .succeeded && results[2].get().finishedAt == F.t0 + 1)
            #expect(results[3].refusal == .notLeased)
            #expect(results[4].refusal == .notLeased)
            #expect(try results[5].get().state == .queued && results[5].get().workerId == nil && results[5].get().failReason == "later")
            #expect(try await f.state(held[0].id) == .succeeded)
            #expect(try await f.state(held[1].id) == .failed)
            #expect(try await f.state(held[2].id) == .started)
            #expect(try await f.state(held[3].id, now: F.t0 + 1) == .queued)
            let strangers = try await store.finishTasks([
                FinishParams(workerId: "w_nobody", taskId: held[2].id, outcome: .success, failReason: nil, reEnqueue: false, attempt: nil, now: F.t0)
            ])
            #expect(strangers[0].refusal == .workerNotFound)
        },
        StoreCheck("leasesAndReportsAnswerTheTaskAsStored") { store in
            // The answer is the task as the write leaves it: the same as reading it back after.
            let f = F(store)
            let worker = try await f.worker(["a"])
            let own = try await f.publish(["a"], scope: .all)[0].id
            try await f.publish(["a"], data: #"{"k":2}"#)
            try await f.publish(["a"], data: #"{"k":3}"#)
            func expectStored(_ answered: [QueueTask], now: Double) async throws {
                for task in answered { #expect(try await store.task(id: task.id, now: now) == task) }
            }
            let (t1, t2, t3) = (F.t0 + 1, F.t0 + 2, F.t0 + 3)
            let held = try await f.lease(worker, limit: 2, now: t1)
            #expect(held.map(\.id).first == own && held.count == 2)
            try await expectStored(held, now: t1)
            let back = try await f.finish(worker, own, .fail, reEnqueue: true, failReason: "boom", now: t1)
            #expect(back.state == .queued && back.workerId == worker && back.runAt == t1 && back.failReason == "boom")
            try await expectStored([back], now: t1)
            let done = try await f.finishThenLease(worker, held[1].id, limit: 2, now: t2)
            #expect(done.task.state == .succeeded && done.next.map(\.id).first == own && done.next.count == 2)
            try await expectStored([done.task] + done.next, now: t2)
            let kept = try await f.finish(worker, own, now: t3)
            #expect(kept.state == .succeeded && kept.failReason == "boom" && kept.attempts == 2)
            let failed = try await f.finish(worker, done.next[1].id, .fail, failReason: "bust", now: t3)
            try await expectStored([kept, failed], now: t3)
        },
        StoreCheck("finishOfUnknownTaskOrByUnknownWorkerIsRefused") { store in
            let f = F(store)
            let (worker, task) = try await leased(f)
            await expectStoreError(.taskNotFound) { try await f.finish(worker, "t_nothing") }
            await expectStoreError(.workerNotFound) { try await f.finish("w_nobody", task.id) }
        },
    ]
}

extension Result where Failure == StoreError {
    /// The refusal's code; nil for a success.
    fileprivate var refusal: StoreError.Code? {
        if case .failure(let error) = self { return error.code }
        return nil
    }
}
