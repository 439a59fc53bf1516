import CouchQueueClient
import CouchQueueModel
import Foundation

/// The benchmark's workload: the shared peer benchmark's task (`{"userId": i, "email": …}`)
/// published into a queue of its own, so a bench run never touches other queues.
struct BenchRunner: Sendable {
    /// One client per server; lane `i` talks to server `i` modulo their number.
    let clients: [CouchQueueClient]
    let tasks: Int
    let connections: Int
    let runID = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    var queue: String { "bench-\(runID)" }
    var backlogQueue: String { "bench-backlog-\(runID)" }

    /// The client for setting up and cleaning up.
    private var primary: CouchQueueClient { clients[0] }

    private func client(_ lane: Int) -> CouchQueueClient {
        clients[lane % clients.count]
    }

    func prepare(backlog: Int) async throws {
        try await primary.setInterests(queue: queue, interests: ["run": "^\(runID)$"])
        guard backlog > 0 else { return }
        try await primary.setInterests(queue: backlogQueue, interests: ["backlog": "^\(runID)$"])
        try await concurrently(connections, count: backlog) { i in
            _ = try await client(i).publish(publisher: "bench", data: ["backlog": .string(runID), "userId": .int(Int64(i))])
        }
    }

    func cleanUp() async throws {
        try await primary.deleteQueue(queue)
        if (try? await primary.queueSummary(backlogQueue)) != nil { try await primary.deleteQueue(backlogQueue) }
    }

    private func task(_ i: Int, sentAt: Double? = nil) -> [String: JSONValue] {
        var data: [String: JSONValue] = ["run": .string(runID), "userId": .int(Int64(i)), "email": .string("u\(i)@example.com")]
        if let sentAt { data["ts"] = .double(sentAt) }
        return data
    }

    func publish() async throws -> PhaseResult {
        let start = Date()
        let latencies = try await concurrently(connections, count: tasks) { i in
            let begin = Date()
            _ = try await client(i).publish(publisher: "bench", data: task(i))
            return Date().timeIntervalSince(begin)
        }
        return PhaseResult(phase: "publish", tasks: tasks, seconds: Date().timeIntervalSince(start), latencies: latencies)
    }

    /// Workers lease and finish until the queue is empty; latency is one lease plus its finish.
    func drain() async throws -> PhaseResult {
        let start = Date()
        let latencies = try await workers(connections, wait: nil) { _, latency in latency }
        return PhaseResult(phase: "drain", tasks: latencies.count, seconds: Date().timeIntervalSince(start), latencies: latencies)
    }

    /// Half the connections publish, half work; latency runs from publish to receipt.
    func mixed() async throws -> PhaseResult {
        let start = Date()
        async let published = concurrently(connections / 2, count: tasks) { i in
            _ = try await client(i).publish(publisher: "bench", data: task(i, sentAt: Date().timeIntervalSince1970))
        }
        let latencies = try await workers(connections - connections / 2, wait: 1, until: tasks) { task, _ in
            guard case .double(let sentAt)? = task.data.objectValue?["ts"] else { return 0 }
            return Date().timeIntervalSince1970 - sentAt
        }
        _ = try await published
        return PhaseResult(phase: "mixed", tasks: latencies.count, seconds: Date().timeIntervalSince(start), latencies: latencies)
    }

    /// Runs `count` iterations over `width` concurrent loops and gathers what they return.
    private func concurrently<T: Sendable>(
        _ width: Int, count: Int, _ body: @escaping @Sendable (Int) async throws -> T
    ) async throws -> [T] {
        try await withThrowingTaskGroup(of: [T].self) { group in
            for lane in 0..<width {
                group.addTask {
                    var results: [T] = []
                    for i in stride(from: lane, to: count, by: width) { results.append(try await body(i)) }
                    return results
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    /// `width` workers lease and finish; without `until` each stops at its first empty lease,
    /// with it they stop once that many tasks were finished in all.
    private func workers(
        _ width: Int, wait: Double?, until total: Int? = nil,
        _ measure: @escaping @Sendable (QueueTask, Double) -> Double
    ) async throws -> [Double] {
        let finished = FinishedCounter()
        return try await withThrowingTaskGroup(of: [Double].self) { group in
            for lane in 0..<width {
                group.addTask {
                    let server = client(lane)
                    let worker = try await server.registerWorker(queues: [queue]).workerId
                    var latencies: [Double] = []
                    while total.map({ finished.value < $0 }) ?? true {
                        let begin = Date()
                        guard let task = try await server.lease(workerId: worker, wait: wait) else {
                            if total == nil { break } else { continue }
                        }
                        try await server.finish(workerId: worker, task: task, outcome: .success)
                        finished.increment()
                        latencies.append(measure(task, Date().timeIntervalSince(begin)))
                    }
                    try await server.deleteWorker(worker)
                    return latencies
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }
}
