@testable import CouchQueueEngine
import CouchQueueModel
import CouchQueueStore
import Testing

/// Parked leases (`wait`) and the leases that follow a report (`next`): who is woken, and what
/// a call answers when its lease fails after the report was recorded.
@Suite struct WaitingLeaseTests {
    /// No re-check while parked: only a wake-up (or the deadline) ends a wait.
    private func harness() throws -> EngineHarness {
        try EngineHarness { $0.leaseRecheck = 600 }
    }

    @Test func aWokenWorkerThatTookAnotherTaskPassesTheWakeUpOn() async throws {
        let h = try harness()
        for queue in ["high", "low"] { _ = try await h.engine.setInterests(queue: queue, interests: .fields(["for": queue])) }
        let both = try await h.engine.registerWorker(queues: ["high", "low"]).workerId
        let lowOnly = try await h.engine.registerWorker(queues: ["low"]).workerId
        async let first = h.engine.lease(workerId: both, wait: 20)
        try await h.parked(1)
        async let second = h.engine.lease(workerId: lowOnly, wait: 20)
        try await h.parked(2)
        // A task that woke nobody (stored behind the engine's back), then one that wakes the
        // earliest waiter of "low": the worker that prefers "high" and takes that task instead.
        let unannounced = try await h.store.insertTasks(InsertTasksParams(
            publicationId: "p_unannounced", publisher: "tests", data: #"{"for":"high"}"#, queues: ["high"], scope: .any,
            singularlyEnqueue: false, singularlyRun: false, runAt: h.now, now: h.now))
        let published = ContinuousClock.now
        let announced = try await h.engine.publish(Publication(publisher: "tests", data: .object(["for": .string("low")])))
        #expect(try await first.map(\.id) == unannounced.map(\.id))
        #expect(try await second.map(\.id) == announced.tasks.map(\.id))
        // Not woken, the second worker would have taken it only as its 20-second wait ran out.
        #expect(ContinuousClock.now - published < .seconds(10))
        try await h.close()
    }

    /// A `singularlyRun` twin held back waits for the one started; its report frees it.
    @Test func aWorkerWaitingBehindAStartedTwinIsWokenByItsReport() async throws {
        let h = try harness()
        _ = try await h.engine.setInterests(queue: "q", interests: .everything)
        let (first, second) = (try await h.engine.registerWorker(queues: ["q"]).workerId, try await h.engine.registerWorker(queues: ["q"]).workerId)
        var twin = Publication(publisher: "tests", data: .object(["x": .string("1")]))
        twin.singularlyRun = true
        for _ in 0..<2 { _ = try await h.engine.publish(twin) }
        let running = try #require(try await h.engine.lease(workerId: first).first)
        async let heldBack = h.engine.lease(workerId: second, wait: 20)
        try await h.parked(1)
        let reported = ContinuousClock.now
        _ = try await h.engine.finish(workerId: first, TaskReport(taskId: running.id, outcome: .success))
        #expect(try await heldBack.count == 1)
        #expect(ContinuousClock.now - reported < .seconds(10), "woken by the report, not by its wait running out")
        try await h.close()
    }

    /// The twins of a finished scope `all` copy are other workers' copies: the worker whose
    /// copy was held back is woken, not only the queue's longest waiter, who has none.
    @Test func aWorkerWhoseCopyWaitedBehindAStartedTwinIsWokenByItsReport() async throws {
        let h = try harness()
        _ = try await h.engine.setInterests(queue: "q", interests: .everything)
        let (first, second) = (try await h.engine.registerWorker(queues: ["q"]).workerId, try await h.engine.registerWorker(queues: ["q"]).workerId)
        var copies = Publication(publisher: "tests", data: .object(["x": .string("1")]))
        (copies.scope, copies.singularlyRun) = (.all, true)
        _ = try await h.engine.publish(copies)
        let running = try #require(try await h.engine.lease(workerId: first).first)
        let latecomer = try await h.engine.registerWorker(queues: ["q"]).workerId
        async let nothing = h.engine.lease(workerId: latecomer, wait: 5)
        try await h.parked(1)
        async let heldBack = h.engine.lease(workerId: second, wait: 20)
        try await h.parked(2)
        let reported = ContinuousClock.now
        _ = try await h.engine.finish(workerId: first, TaskReport(taskId: running.id, outcome: .success))
        #expect(try await heldBack.count == 1)
        #expect(ContinuousClock.now - reported < .seconds(10), "woken by the report, not by its wait running out")
        #expect(try await nothing.isEmpty, "the latecomer has no copy")
        try await h.close()
    }

    @Test func aLeaseThatFailsAfterTheReportAnswersNoNextTask() async throws {
        let h = try harness()
        _ = try await h.engine.setInterests(queue: "q", interests: .everything)
        let worker = try await h.engine.registerWorker(queues: ["q"]).workerId
        for n in 0..<2 { _ = try await h.engine.publish(Publication(publisher: "tests", data: .object(["n": .string("\(n)")]))) }
        let held = try await h.engine.lease(workerId: worker, limit: 2)
        async let one = h.engine.finish(workerId: worker, TaskReport(taskId: held[0].id, outcome: .success), thenLease: NextLease(wait: 20))
        try await h.parked(1)
        async let several = h.engine.finish(
            workerId: worker, reports: [TaskReport(taskId: held[1].id, outcome: .success)], thenLease: NextLease(wait: 20))
        try await h.parked(2)
        // Deleting the worker wakes both; their leases then fail with worker_not_found.
        _ = try await h.engine.deleteWorkers(.id(worker))
        let single = try await one
        #expect(single.task.state == .succeeded && single.next.isEmpty)
        let batch = try await several
        #expect(try batch.results[0].get().state == .succeeded && batch.next.isEmpty)
        try await h.close()
    }

    /// A connection closed before its call is served leases nothing: the task would stay
    /// started for nobody until its lease ran out. Its report is still recorded.
    @Test func aClosedConnectionLeasesNothingButItsReportIsRecorded() async throws {
        let h = try harness()
        _ = try await h.engine.setInterests(queue: "q", interests: .everything)
        let worker = try await h.engine.registerWorker(queues: ["q"]).workerId
        for n in 0..<2 { _ = try await h.engine.publish(Publication(publisher: "tests", data: .object(["n": .string("\(n)")]))) }
        let held = try #require(try await h.engine.lease(workerId: worker).first)
        let gone = ClientPresence()
        gone.disconnect()
        try await ClientPresence.$current.withValue(gone) {
            #expect(try await h.engine.lease(workerId: worker, wait: 5).isEmpty)
            let finished = try await h.engine.finish(
                workerId: worker, TaskReport(taskId: held.id, outcome: .success), thenLease: NextLease(wait: 5))
            #expect(finished.task.state == .succeeded && finished.next.isEmpty)
        }
        #expect(try await h.engine.lease(workerId: worker).count == 1, "the other task is still waiting")
        try await h.close()
    }
}
