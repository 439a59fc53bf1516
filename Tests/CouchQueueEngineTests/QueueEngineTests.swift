import CouchQueueEngine
import CouchQueueModel
import CouchQueueStore
import Testing

@Suite struct QueueEngineTests {
    private func emailTask(_ email: String = "a@b.c") -> Publication {
        Publication(publisher: "tests", data: .object(["email": .string(email)]))
    }

    @Test func publishCopiesTheTaskIntoEachInterestedQueue() async throws {
        let h = try EngineHarness()
        _ = try await h.engine.setInterests(queue: "emails", interests: .fields(["email": "@"]))
        _ = try await h.engine.setInterests(queue: "audit", interests: .everything)
        _ = try await h.engine.setInterests(queue: "sms", interests: .fields(["phone": "."]))
        let published = try await h.engine.publish(emailTask())
        #expect(published.tasks.map(\.queue) == ["audit", "emails"])
        #expect(published.id.hasPrefix("p_"))
        try await h.close()
    }

    @Test func aTaskNobodyWantsIsDropped() async throws {
        let h = try EngineHarness()
        _ = try await h.engine.setInterests(queue: "sms", interests: .fields(["phone": "."]))
        #expect(try await h.engine.publish(emailTask()).tasks.isEmpty)
        #expect(try await h.store.queueSummary(name: "sms", now: h.now)?.length == 0)
        try await h.close()
    }

    @Test func clearedInterestsStopRoutingAndInterestsReloadOnStart() async throws {
        let h = try EngineHarness()
        _ = try await h.engine.setInterests(queue: "emails", interests: .fields(["email": "@"]))
        let restarted = QueueEngine(store: h.store, logger: .init(label: "tests"))
        try await restarted.reloadInterests()
        #expect(try await restarted.publish(emailTask()).tasks.count == 1)
        _ = try await restarted.clearInterests(queue: "emails")
        #expect(try await restarted.publish(emailTask()).tasks.isEmpty)
        try await h.close()
    }

    @Test func interestsThatChangeOnlyTheirUnicodeNormalizationAreCompiledAgain() async throws {
        let h = try EngineHarness()
        _ = try await h.engine.setInterests(queue: "q", interests: .fields(["n": "^\u{E9}$"]))
        _ = try await h.engine.setInterests(queue: "q", interests: .fields(["n": "^e\u{301}$"]))
        let published = try await h.engine.publish(Publication(publisher: "tests", data: .object(["n": .string("e\u{301}")])))
        #expect(published.tasks.map(\.queue) == ["q"])
        try await h.close()
    }

    /// The limit on a queue's compiled interests in all holds for interests being set; those
    /// stored before it still route.
    @Test func storedInterestsPastTheTotalLimitStillRoute() async throws {
        let h = try EngineHarness()
        let large = Interests.fields(Dictionary(uniqueKeysWithValues: (0..<6).map { ("f\($0)", String(repeating: "a{1000}", count: 19)) }))
        await #expect(throws: EngineError.self) { try await h.engine.setInterests(queue: "q", interests: large) }
        var fields = ["n": "x"]
        if case .fields(let more) = large { fields.merge(more) { $1 } }
        try await h.store.setInterests(queue: "q", interests: .fields(fields), now: h.now)
        try await h.engine.reloadInterests()
        let published = try await h.engine.publish(Publication(publisher: "tests", data: .object(["n": .string("x")])))
        #expect(published.tasks.map(\.queue) == ["q"])
        try await h.close()
    }

    @Test func invalidPublicationsAreRefusedAndStoreNothing() async throws {
        let h = try EngineHarness()
        _ = try await h.engine.setInterests(queue: "all", interests: .everything)
        await #expect(throws: EngineError.self) { try await h.engine.publish(Publication(publisher: "", data: .object([:]))) }
        await #expect(throws: EngineError.self) { try await h.engine.publish(Publication(publisher: "p", data: .array([]))) }
        await #expect(throws: EngineError.self) { try await h.engine.publish(Publication(publisher: "p", data: .object([:]), runAt: .infinity)) }
        #expect(try await h.store.queueSummary(name: "all", now: h.now)?.length == 0)
        try await h.close()
    }

    @Test func workerQueuesAreValidated() async throws {
        let h = try EngineHarness()
        for queues in [[], ["*"], ["bad name"], [String(repeating: "q", count: 129)]] {
            await #expect {
                try await h.engine.registerWorker(queues: queues)
            } throws: { ($0 as? EngineError)?.code == .invalidQueues }
        }
        let registered = try await h.engine.registerWorker(queues: ["high", "low", "high"])
        #expect(registered.queues == ["high", "low"])
        try await h.close()
    }

    @Test func aWaitingLeaseWakesWhenATaskArrives() async throws {
        let h = try EngineHarness { $0.leaseRecheck = 600 }  // woken, not found by a re-check
        _ = try await h.engine.setInterests(queue: "emails", interests: .fields(["email": "@"]))
        let worker = try await h.engine.registerWorker(queues: ["emails"]).workerId
        async let leased = h.engine.lease(workerId: worker, wait: 20)
        try await h.parked(1)
        let publishedAt = ContinuousClock.now
        let published = try await h.engine.publish(emailTask())
        #expect(try await leased.first?.id == published.tasks.first?.id)
        #expect(ContinuousClock.now - publishedAt < .seconds(10), "woken by the publish, not by the wait running out")
        try await h.close()
    }

    @Test func reportsOnSeveralTasksAreAnsweredEachOnItsOwn() async throws {
        let h = try EngineHarness()
        _ = try await h.engine.setInterests(queue: "emails", interests: .fields(["email": "@"]))
        for n in 0..<5 { _ = try await h.engine.publish(emailTask("\(n)@b.c")) }
        let worker = try await h.engine.registerWorker(queues: ["emails"]).workerId
        let leased = try await h.engine.lease(workerId: worker, limit: 3)
        #expect(leased.count == 3)
        let (results, next) = try await h.engine.finish(workerId: worker, reports: [
            TaskReport(taskId: leased[0].id, outcome: .success),
            TaskReport(taskId: "t_unknown", outcome: .success),
            TaskReport(taskId: leased[1].id, outcome: .fail, failReason: "no"),
            TaskReport(taskId: leased[2].id, outcome: .success, attempt: 7),
        ], thenLease: NextLease(limit: 5))
        #expect(next.count == 2 && !next.contains { leased.map(\.id).contains($0.id) })
        #expect(try results[0].get().state == .succeeded)
        #expect(throws: StoreError.taskNotFound("t_unknown")) { try results[1].get() }
        #expect(try results[2].get().state == .failed && results[2].get().failReason == "no")
        #expect(throws: StoreError.notLeased(leased[2].id)) { try results[3].get() }
        await #expect(throws: StoreError.workerNotFound("w_nobody")) {
            _ = try await h.engine.finish(workerId: "w_nobody", reports: [TaskReport(taskId: leased[2].id, outcome: .success)])
        }
        await #expect(throws: EngineError.self) {
            _ = try await h.engine.finish(workerId: worker, reports: [
                TaskReport(taskId: leased[2].id, outcome: .success),
                TaskReport(taskId: leased[2].id, outcome: .fail, failReason: String(repeating: "x", count: 70_000)),
            ])
        }
        #expect(try await h.store.task(id: leased[2].id, now: h.now)?.state == .started)
        try await h.close()
    }

    @Test func aReportTakesTheNextTaskInTheSameCall() async throws {
        let h = try EngineHarness()
        _ = try await h.engine.setInterests(queue: "emails", interests: .fields(["email": "@"]))
        var published: [String] = []
        for n in 0..<3 { published += try await h.engine.publish(emailTask("\(n)@b.c")).tasks.map(\.id) }
        let worker = try await h.engine.registerWorker(queues: ["emails"]).workerId
        let first = try #require(try await h.engine.lease(workerId: worker).first)
        let one = try await h.engine.finish(workerId: worker, TaskReport(taskId: first.id, outcome: .success), thenLease: NextLease())
        #expect(one.task.state == .succeeded && one.next.map(\.id) == [published[1]])
        let rest = try await h.engine.finish(
            workerId: worker, TaskReport(taskId: one.next[0].id, outcome: .success), thenLease: NextLease(limit: 5))
        #expect(rest.next.map(\.id) == [published[2]] && rest.next[0].state == .started)
        async let waited = h.engine.finish(
            workerId: worker, TaskReport(taskId: rest.next[0].id, outcome: .success), thenLease: NextLease(wait: 20))
        try await Task.sleep(for: .milliseconds(200))
        let later = try await h.engine.publish(emailTask())
        #expect(try await waited.next.map(\.id) == later.tasks.map(\.id))
        await #expect(throws: StoreError.notLeased(first.id)) {
            try await h.engine.finish(workerId: worker, TaskReport(taskId: first.id, outcome: .success), thenLease: NextLease())
        }
        try await h.close()
    }

    @Test func leaseTimeoutAndMaintenanceReturnATask() async throws {
        let h = try EngineHarness { $0.leaseTimeout = 10 }
        _ = try await h.engine.setInterests(queue: "q", interests: .everything)
        let worker = try await h.engine.registerWorker(queues: ["q"]).workerId
        _ = try await h.engine.publish(emailTask())
        let task = try #require(try await h.engine.lease(workerId: worker).first)
        let maintenance = h.engine.maintenance()
        #expect(try await maintenance.runOnce(now: h.now + 9.9).expiredLeases == 0)
        #expect(try await maintenance.runOnce(now: h.now + 10).expiredLeases == 1)
        h.advance(10)
        #expect(try await h.engine.lease(workerId: worker).first?.attempts == 2)
        await #expect(throws: StoreError.notLeased(task.id)) {
            try await h.engine.finish(workerId: worker, TaskReport(taskId: task.id, outcome: .success, attempt: 1))
        }
        try await h.close()
    }

    @Test func aPassSweepsBatchAfterBatchUpToItsBound() async throws {
        let h = try EngineHarness { $0.retention = 10 }
        _ = try await h.engine.setInterests(queue: "q", interests: .everything)
        let worker = try await h.engine.registerWorker(queues: ["q"]).workerId
        for i in 0..<8 { _ = try await h.engine.publish(emailTask("\(i)@b.c")) }
        for task in try await h.engine.lease(workerId: worker, limit: 8) {
            _ = try await h.engine.finish(workerId: worker, TaskReport(taskId: task.id, outcome: .success))
        }
        var maintenance = h.engine.maintenance()
        (maintenance.sweepBatch, maintenance.sweepBatchesPerPass) = (2, 3)
        #expect(try await maintenance.runOnce(now: h.now + 11).sweptTasks == 6)
        #expect(try await maintenance.runOnce(now: h.now + 11).sweptTasks == 2)
        #expect(try await maintenance.runOnce(now: h.now + 11).sweptTasks == 0)
        try await h.close()
    }

    @Test func heartbeatsPushTheLeaseForward() async throws {
        let h = try EngineHarness { $0.leaseTimeout = 10 }
        _ = try await h.engine.setInterests(queue: "q", interests: .everything)
        let worker = try await h.engine.registerWorker(queues: ["q"]).workerId
        _ = try await h.engine.publish(emailTask())
        let task = try #require(try await h.engine.lease(workerId: worker).first)
        h.advance(8)
        #expect(try await h.engine.heartbeat(workerId: worker, taskIds: nil).tasks == [task.id])
        #expect(try await h.engine.maintenance().runOnce(now: h.now + 9).expiredLeases == 0)
        try await h.close()
    }

    @Test func fastPostStoresAfterAnswering() async throws {
        let h = try EngineHarness()
        _ = try await h.engine.setInterests(queue: "q", interests: .everything)
        let accepted = try h.engine.publishLater(emailTask())
        #expect(accepted.accepted && accepted.id.hasPrefix("p_"))
        let service = Task { await h.engine.fastPosts.run() }
        var length = 0
        for _ in 0..<100 where length == 0 {
            try await Task.sleep(for: .milliseconds(20))
            length = try await h.store.queueSummary(name: "q", now: h.now)?.length ?? 0
        }
        #expect(length == 1)
        service.cancel()
        try await h.close()
    }

    @Test func statusRefusesUnknownPartsWholly() async throws {
        let h = try EngineHarness()
        var query = StatusQuery()
        query.queues = true
        query.queue = "missing"
        await #expect { try await h.engine.status(query) } throws: { ($0 as? EngineError)?.code == .queueNotFound }
        query.queue = nil
        query.task = "t_missing"
        await #expect(throws: StoreError.taskNotFound("t_missing")) { try await h.engine.status(query) }
        try await h.close()
    }
}
