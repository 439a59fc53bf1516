import CouchQueueModel
import CouchQueueStore
import Testing

enum ReadChecks {
    typealias F = StoreFixture
    static let all = [
        StoreCheck("queueCountsSplitQueuedScheduledAndStarted") { store in
            let f = F(store)
            try await f.interested("a")
            let worker = try await f.worker(["a"])
            for _ in 0..<3 { try await f.publish(["a"]) }
            try await f.publish(["a"], runAt: F.t0 + 5)
            try await f.publish(["a"], scope: .all)
            _ = try await f.lease(worker)
            _ = try await f.lease(worker)
            #expect(try await store.queueSummary(name: "a", now: F.t0) == QueueSummary(name: "a", length: 2, scheduled: 1, started: 2))
            #expect(try await store.queueSummary(name: "a", now: F.t0 + 5) == QueueSummary(name: "a", length: 3, scheduled: 0, started: 2))
            #expect(try await store.queueSummary(name: "none", now: F.t0) == nil)
        },
        StoreCheck("queueOverviewsCountStartedAndFailedTasksAndWorkers") { store in
            let f = F(store)
            for queue in ["a", "b", "c"] { try await f.interested(queue) }
            let worker = try await f.worker(["a"])
            let other = try await f.worker(["b"])
            try await f.publish(["a"])
            let task = try #require(try await f.lease(worker)).id
            try await f.finish(worker, task, .fail)
            for _ in 0..<3 { try await f.publish(["a"]) }
            #expect(try await f.lease(worker, limit: 2).count == 2)
            try await f.publish(["b"])
            #expect(try await f.lease(other) != nil)
            let overviews = try await store.queueOverviews(now: F.t0)
            #expect(overviews == [
                QueueOverview(name: "a", length: 1, scheduled: 0, started: 2, failed: 1, workers: 1),
                QueueOverview(name: "b", length: 0, scheduled: 0, started: 1, failed: 0, workers: 1),
                QueueOverview(name: "c", length: 0, scheduled: 0, started: 0, failed: 0, workers: 0),
            ])
            #expect(try await store.queueSummary(name: "b", now: F.t0) == QueueSummary(name: "b", length: 0, scheduled: 0, started: 1))
        },
        StoreCheck("workersShowTheirQueuesAndHeldTasks") { store in
            let f = F(store)
            let worker = try await f.worker(["b", "a"], now: F.t0 - 1)
            try await f.publish(["a"])
            let task = try #require(try await f.lease(worker)).id
            let summary = try #require(try await store.worker(id: worker))
            #expect(summary.queues == ["b", "a"] && summary.tasks == [task] && summary.status == .working)
            #expect(summary.registeredAt == F.t0 - 1 && summary.lastSeenAt == F.t0)
            #expect(try await store.worker(id: "w_nobody") == nil)
            #expect(try await store.workerQueueLength(workerId: "w_nobody") == nil)
        },
        StoreCheck("failedQueueIsNewestFirstAndPaged") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            var failed: [String] = []
            for i in 0..<5 {
                try await f.publish(["a"])
                let task = try #require(try await f.lease(worker)).id
                try await f.finish(worker, task, .fail, now: F.t0 + Double(i))
                failed.append(task)
            }
            let page = try await store.failedTasks(offset: 1, limit: 2, maxBytes: .max, now: F.t0)
            #expect(page.length == 5)
            #expect(page.tasks.map(\.id) == [failed[3], failed[2]])
            #expect(page.nextOffset == nil)
        },
        StoreCheck("failedQueuePagesEndBeforeTheirSizeBound") { store in
            let f = F(store)
            let worker = try await f.worker(["a"])
            var failed: [String] = []
            for i in 0..<5 {
                // Each counts 100 bytes: 90 of data and a 10-byte reason, or 100 of data alone.
                let reason = i == 2 ? nil : "0123456789"
                let padding = String(repeating: "x", count: reason == nil ? 92 : 82)
                try await f.publish(["a"], data: #"{"k":"\#(padding)"}"#)
                let task = try #require(try await f.lease(worker)).id
                try await f.finish(worker, task, .fail, failReason: reason, now: F.t0 + Double(i))
                failed.append(task)
            }
            let newestFirst = Array(failed.reversed())
            let cut = try await store.failedTasks(offset: 1, limit: 4, maxBytes: 250, now: F.t0)
            #expect(cut.length == 5 && cut.tasks.map(\.id) == Array(newestFirst[1...2]) && cut.nextOffset == 3)
            let exact = try await store.failedTasks(offset: 0, limit: 5, maxBytes: 300, now: F.t0)
            #expect(exact.tasks.map(\.id) == Array(newestFirst[0...2]) && exact.nextOffset == 3)
            let oneAlways = try await store.failedTasks(offset: 3, limit: 2, maxBytes: 10, now: F.t0)
            #expect(oneAlways.tasks.map(\.id) == [newestFirst[3]] && oneAlways.nextOffset == 4)
            let last = try await store.failedTasks(offset: 4, limit: 5, maxBytes: 10, now: F.t0)
            #expect(last.tasks.map(\.id) == [newestFirst[4]] && last.nextOffset == nil)
            let whole = try await store.failedTasks(offset: 0, limit: 5, maxBytes: 500, now: F.t0)
            #expect(whole.tasks.map(\.id) == newestFirst && whole.nextOffset == nil)
        },
    ]
}
