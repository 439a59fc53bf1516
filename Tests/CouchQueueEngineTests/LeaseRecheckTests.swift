@testable import CouchQueueEngine
import CouchQueueModel
import CouchQueueStore
import Testing

/// A parked lease looks again every `leaseRecheck` for a wake-up it missed. Looking writes
/// nothing unless a task is due, or the worker's sign of life needs renewing.
@Suite struct LeaseRecheckTests {
    private func harness(workerTimeout: Double = 300, leaseRecheck: Double = 0.05) throws -> EngineHarness {
        try EngineHarness {
            $0.leaseRecheck = leaseRecheck
            $0.workerTimeout = workerTimeout
        }
    }

    /// A worker registered on queue "q", which wants every task.
    private func workerOnAQueue(_ h: EngineHarness) async throws -> String {
        _ = try await h.engine.setInterests(queue: "q", interests: .everything)
        return try await h.engine.registerWorker(queues: ["q"]).workerId
    }

    /// Moves the test clock on by `step` every 20 ms until cancelled.
    private func advancing(_ h: EngineHarness, by step: Double) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                h.advance(step)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    @Test func anIdleWaitLooksWithoutWriting() async throws {
        let h = try harness()
        let worker = try await workerOnAQueue(h)
        async let got = h.engine.lease(workerId: worker, wait: 1)
        try await h.parked(1)
        let seen = try await h.store.worker(id: worker)?.lastSeenAt
        let parkedAt = h.now
        let ticker = advancing(h, by: 0.2)  // 10 s a second: far below the 30 s that renews
        #expect(try await got.isEmpty)
        ticker.cancel()
        #expect(h.now - parkedAt >= 1, "the re-checks ran at later times")
        #expect(try await h.store.worker(id: worker)?.lastSeenAt == seen, "no re-check wrote a sign of life")
        try await h.close()
    }

    @Test func aTaskWhoseWakeUpWasMissedIsFoundByTheReCheck() async throws {
        let h = try harness()
        let worker = try await workerOnAQueue(h)
        async let got = h.engine.lease(workerId: worker, wait: 20)
        try await h.parked(1)
        // Stored behind the engine's back: nobody is woken.
        let unannounced = try await h.store.insertTasks(InsertTasksParams(
            publicationId: "p_unannounced", publisher: "tests", data: #"{"n":1}"#, queues: ["q"], scope: .any,
            singularlyEnqueue: false, singularlyRun: false, runAt: h.now, now: h.now))
        let stored = ContinuousClock.now
        #expect(try await got.map(\.id) == unannounced.map(\.id))
        #expect(ContinuousClock.now - stored < .seconds(10), "found by a re-check, not as the wait ran out")
        try await h.close()
    }

    /// With a short worker timeout, the re-checks keep the worker seen, so that maintenance
    /// never reaps a worker waiting for work.
    @Test func aWorkerWaitingLongerThanATenthOfItsTimeoutIsSeenAgain() async throws {
        let h = try harness(workerTimeout: 5)
        let worker = try await workerOnAQueue(h)
        let registeredAt = h.now
        let ticker = advancing(h, by: 0.25)
        _ = try await h.engine.lease(workerId: worker, wait: 1)
        ticker.cancel()
        let seen = try #require(try await h.store.worker(id: worker)?.lastSeenAt)
        #expect(seen > registeredAt + 0.5, "seen again while it waited")
        #expect(h.now - seen < 5, "never silent for a worker timeout")
        try await h.close()
    }

    /// Re-checks further apart than the sign of life must be renewed: the wait wakes for it.
    @Test func aWaitWakesToRenewTheSignOfLifeBeforeItsReCheck() async throws {
        let h = try harness(workerTimeout: 5, leaseRecheck: 600)
        let worker = try await workerOnAQueue(h)
        async let got = h.engine.lease(workerId: worker, wait: 4)
        try await h.parked(1)
        let parkedAt = h.now
        h.advance(5)  // silent a whole worker timeout, by the clock the store is given
        try await Task.sleep(for: .seconds(1.5))  // the renewal is due 0.5 s after parking
        #expect(try await h.store.worker(id: worker)?.lastSeenAt ?? 0 > parkedAt, "renewed while it still waits")
        #expect(try await got.isEmpty)
        try await h.close()
    }

    @Test func aWorkerDeletedWhileItWaitsIsToldAtTheNextReCheck() async throws {
        let h = try harness()
        let worker = try await workerOnAQueue(h)
        let waiting = Task { try await h.engine.lease(workerId: worker, wait: 20) }
        try await h.parked(1)
        _ = try await h.store.deleteWorkers(.id(worker))  // behind the engine's back: nobody is woken
        let deleted = ContinuousClock.now
        await #expect(throws: StoreError.workerNotFound(worker)) { try await waiting.value }
        #expect(ContinuousClock.now - deleted < .seconds(10))
        try await h.close()
    }
}
