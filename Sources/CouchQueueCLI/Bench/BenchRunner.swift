import CouchQueueHTTP
import CouchQueueModel
import Foundation
import NIOPosix

/// The benchmark's workload: the shared peer benchmark's task (`{"userId": i, "email": …}`)
/// published into a queue of its own, so a bench run never touches other queues. Each
/// concurrent lane has its own connection; lane `i` talks to server `i` modulo their number.
struct BenchRunner: Sendable {
    let urls: [String]
    let tasks: Int
    let connections: Int
    /// Tasks a worker leases and reports on per call (`count=`, `POST /tasks`); 1: one by one.
    let batch: Int
    let runID = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    private let executors = EventLoopTaskExecutors()
    var queue: String { "bench-\(runID)" }
    var backlogQueue: String { "bench-backlog-\(runID)" }

    func connect(_ lane: Int) async throws -> BenchConnection {
        try await BenchConnection.connect(to: urls[lane % urls.count], on: MultiThreadedEventLoopGroup.singleton.next())
    }

    func prepare(backlog: Int) async throws {
        let connection = try await connect(0)
        _ = try await connection.send(.PUT, "/interest", json: #"{"queue":"\#(queue)","interests":{"run":"^\#(runID)$"}}"#).json()
        if backlog > 0 {
            _ = try await connection.send(.PUT, "/interest", json: #"{"queue":"\#(backlogQueue)","interests":{"backlog":"^\#(runID)$"}}"#).json()
        }
        await connection.close()
        guard backlog > 0 else { return }
        _ = try await concurrently(connections, count: backlog) { connection, i in
            _ = try await connection.send(.PUT, "/task", json: #"{"publisher":"bench","data":{"backlog":"\#(runID)","userId":\#(i)}}"#).json()
        }
    }

    func cleanUp() async throws {
        let connection = try await connect(0)
        _ = try await connection.send(.DELETE, "/queue?queue=\(queue)").json()
        if try await connection.send(.GET, "/status?queue=\(backlogQueue)").status == 200 {
            _ = try await connection.send(.DELETE, "/queue?queue=\(backlogQueue)").json()
        }
        await connection.close()
    }

    private func task(_ i: Int, sentAt: Double? = nil) -> String {
        let ts = sentAt.map { #","ts":\#($0)"# } ?? ""
        return #"{"publisher":"bench","data":{"run":"\#(runID)","userId":\#(i),"email":"u\#(i)@example.com"\#(ts)}}"#
    }

    func publish() async throws -> PhaseResult {
        let start = Date()
        let latencies = try await concurrently(connections, count: tasks) { connection, i in
            let begin = Date()
            try await publishOne(task(i), on: connection)
            return Date().timeIntervalSince(begin)
        }
        return PhaseResult(phase: "publish", tasks: tasks, seconds: Date().timeIntervalSince(start), latencies: latencies)
    }

    /// A publish counts only once stored: `201` with one task (a `200` routed it nowhere).
    private func publishOne(_ body: String, on connection: BenchConnection) async throws {
        let answer = try await connection.send(.PUT, "/task", json: body)
        guard answer.status == 201, try answer.json().objectValue?["tasks"]?.arrayValue?.count == 1 else {
            throw BenchError("PUT /task stored no task: HTTP \(answer.status) \(String(buffer: answer.body).prefix(300))")
        }
    }

    /// Workers lease and finish until the queue is empty; latency is one lease plus its finish
    /// (with a batch, the lease and report of the batch each task came in).
    func drain() async throws -> PhaseResult {
        let start = Date()
        let latencies = try await workers(connections, wait: nil) { _, latency, _ in latency }
        guard !latencies.isEmpty else { throw BenchError("drain found no task: run publish before it") }
        return PhaseResult(phase: "drain", tasks: latencies.count, seconds: Date().timeIntervalSince(start), latencies: latencies)
    }

    /// Half the connections publish, half work (long polls); latency runs from publish to
    /// receipt, and the phase ends when the last task is finished. Its queue must start
    /// empty: a task left by another phase carries no publication time.
    func mixed() async throws -> PhaseResult {
        let connection = try await connect(0)
        let waiting = try await connection.send(.GET, "/status?queue=\(queue)").json().objectValue?["queue"]?.objectValue?["length"]
        await connection.close()
        guard waiting == .int(0) else { throw BenchError("mixed needs its queue empty, not \(waiting ?? .null) waiting: run drain before it") }
        let start = Date()
        let finished = FinishedCounter(total: tasks)
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            group.addTask {
                _ = try await concurrently(connections / 2, count: tasks) { connection, i in
                    try await publishOne(task(i, sentAt: Date().timeIntervalSince1970), on: connection)
                }
                return []
            }
            group.addTask {
                try await workers(connections - connections / 2, wait: 1, until: finished) { task, _, receivedAt in
                    guard case .double(let sentAt)? = task["data"]?.objectValue?["ts"] else {
                        throw BenchError("a task without its publication time: \(task)")
                    }
                    return receivedAt.timeIntervalSince1970 - sentAt
                }
            }
            // A publisher that fails ends the phase: its workers would wait for tasks forever.
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let seconds = (finished.reachedTotalAt ?? Date()).timeIntervalSince(start)
        return PhaseResult(phase: "mixed", tasks: latencies.count, seconds: seconds, latencies: latencies)
    }

    /// Runs `count` iterations over `width` concurrent lanes, each with its own connection,
    /// and gathers what they return.
    private func concurrently<T: Sendable>(
        _ width: Int, count: Int, _ body: @escaping @Sendable (BenchConnection, Int) async throws -> T
    ) async throws -> [T] {
        try await lanes(width) { connection, lane in
            var results: [T] = []
            for i in stride(from: lane, to: count, by: width) { results.append(try await body(connection, i)) }
            return results
        }
    }

    /// Runs `body` on `width` lanes at once, each with a connection of its own, and gathers
    /// what they return. A lane's task runs on its connection's event loop, where the answers
    /// arrive: on Swift's global executor (Dispatch's threads, see `main.swift`) each request
    /// cost two hops between threads, a fifth of the client's CPU.
    private func lanes<T: Sendable>(
        _ width: Int, _ body: @escaping @Sendable (BenchConnection, _ lane: Int) async throws -> [T]
    ) async throws -> [T] {
        try await withThrowingTaskGroup(of: [T].self) { group in
            for lane in 0..<width {
                let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
                group.addTask(executorPreference: executors.executor(for: eventLoop)) {
                    let connection = try await BenchConnection.connect(to: urls[lane % urls.count], on: eventLoop)
                    let results = try await body(connection, lane)
                    await connection.close()
                    return results
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    /// `width` workers lease and finish; without `until` each stops at its first empty lease,
    /// with it they stop once it counts its total finished. A worker reports and takes
    /// its next tasks in one call (`next`), as a CouchQueue worker does; only a lease of its
    /// own waits (`wait`), so that a report is counted as soon as it is recorded. `measure` is
    /// given each task, the time from the call that handed it out to the answer to its report,
    /// and when it was received.
    private func workers(
        _ width: Int, wait: Double?, until finished: FinishedCounter? = nil,
        _ measure: @escaping @Sendable (JSONObject, Double, Date) throws -> Double
    ) async throws -> [Double] {
        try await lanes(width) { connection, _ in
            let registration = try await connection.send(.PUT, "/worker", json: #"{"queues":["\#(queue)"]}"#).json()
            guard case .string(let worker)? = registration.objectValue?["workerId"] else {
                throw BenchError("PUT /worker answered no workerId")
            }
            let lease = "/task?workerId=\(worker)" + (batch > 1 ? "&count=\(batch)" : "") + (wait.map { "&wait=\($0)" } ?? "")
            var held: [Leased] = []
            var heldSince = Date()
            var receivedAt = Date()
            var latencies: [Double] = []
            while finished?.reachedTotal != true {
                try Task.checkCancellation()
                if held.isEmpty {
                    heldSince = Date()
                    held = try leased(try await connection.send(.GET, lease).json(), batch > 1 ? "tasks" : "task")
                    receivedAt = Date()
                    guard !held.isEmpty else {
                        if finished == nil { break } else { continue }
                    }
                }
                let reportedAt = Date()
                let next = try await report(held, of: worker, on: connection)
                let answeredAt = Date()
                finished?.add(held.count)
                let latency = answeredAt.timeIntervalSince(heldSince)
                for task in held { latencies.append(try measure(task.task, latency, receivedAt)) }
                (held, heldSince, receivedAt) = (next, reportedAt, answeredAt)
            }
            _ = try await connection.send(.DELETE, "/worker?workerId=\(worker)").json()
            return latencies
        }
    }

    private typealias Leased = (task: JSONObject, id: String, attempt: Int64)

    /// The tasks of an answer's `key`: one task (`task`) or a list (`tasks`, `next`).
    private func leased(_ answer: JSONValue, _ key: String) throws -> [Leased] {
        let member = answer.objectValue?[key] ?? .null
        let objects = member.arrayValue ?? [member]
        return try objects.compactMap { object in
            guard case .object(let task) = object else { return nil }
            guard case .string(let id)? = task["id"], case .int(let attempt)? = task["attempts"] else {
                throw BenchError("a leased task without id or attempts: \(task)")
            }
            return (task, id, attempt)
        }
    }

    /// Reports success on `tasks` and answers the next ones handed out in the same call.
    private func report(_ tasks: [Leased], of worker: String, on connection: BenchConnection) async throws -> [Leased] {
        let reports = tasks.map { #"{"taskId":"\#($0.id)","state":"success","attempt":\#($0.attempt)}"# }
        let next = #""workerId":"\#(worker)","next":\#(batch)"#
        guard batch > 1 else {
            let answer = try await connection.send(.POST, "/task", json: #"{\#(next),\#(reports[0].dropFirst())"#).json()
            guard answer.objectValue?["task"]?.objectValue != nil else { throw BenchError("POST /task refused a report: \(answer)") }
            return try leased(answer, "next")
        }
        let answer = try await connection.send(.POST, "/tasks", json: #"{\#(next),"results":[\#(reports.joined(separator: ","))]}"#).json()
        let results = answer.objectValue?["results"]?.arrayValue ?? []
        guard results.count == tasks.count, results.allSatisfy({ $0.objectValue?["task"] != nil }) else {
            throw BenchError("POST /tasks refused a report: \(answer)")
        }
        return try leased(answer, "next")
    }
}
