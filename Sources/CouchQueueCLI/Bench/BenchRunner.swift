import CouchQueueHTTP
import CouchQueueModel
import Foundation
import NIOPosix

/// The benchmark's workload: the shared peer benchmark's task (`{"userId": i, "email": …}`)
/// published into a queue of its own, so a bench run never touches other queues (it refuses a
/// server where another queue's interests would take its tasks, `+OtherQueues`). Each
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
        try await refuseIfOtherQueuesAreInterested(connection)
        _ = try await connection.send(.PUT, "/interest", json: #"{"queue":"\#(queue)","interests":{"run":"^\#(runID)$"}}"#).json()
        if backlog > 0 {
            _ = try await connection.send(.PUT, "/interest", json: #"{"queue":"\#(backlogQueue)","interests":{"backlog":"^\#(runID)$"}}"#).json()
        }
        await connection.close()
        guard backlog > 0 else { return }
        let lanes = try await openLanes(connections) { _ in }
        _ = try await concurrently(lanes, count: backlog) { connection, i in
            _ = try await connection.send(.PUT, "/task", json: #"{"publisher":"bench","data":{"backlog":"\#(runID)","userId":\#(i)}}"#).json()
        }
        try await close(lanes)
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
        let lanes = try await openLanes(connections) { _ in }
        let start = Date()
        let latencies = try await concurrently(lanes, count: tasks) { connection, i in
            let begin = Date()
            try await publishOne(task(i), on: connection)
            return Date().timeIntervalSince(begin)
        }
        let seconds = Date().timeIntervalSince(start)
        try await close(lanes)
        return PhaseResult(phase: "publish", tasks: tasks, seconds: seconds, latencies: latencies)
    }

    /// A publish counts only once stored: `201` with one task (a `200` routed it nowhere).
    private func publishOne(_ body: String, on connection: BenchConnection) async throws {
        let answer = try await connection.send(.PUT, "/task", json: body)
        guard answer.status == 201, try answer.json().objectValue?["tasks"]?.arrayValue?.count == 1 else {
            throw BenchError("PUT /task stored no task: HTTP \(answer.status) \(String(buffer: answer.body).prefix(300))")
        }
    }

    /// Workers lease and finish until the queue is empty; latency is one lease plus its finish
    /// (with a batch, the lease and report of the batch each task came in). The phase ends
    /// with the last report's answer.
    func drain() async throws -> PhaseResult {
        let lanes = try await openLanes(connections) { try await registerWorker($0) }
        let start = Date()
        let worked = try await run(lanes) { lane in
            try await work(lane, wait: nil) { _, latency, _ in latency }
        }
        let latencies = worked.flatMap(\.latencies)
        let seconds = (worked.compactMap(\.lastAnswer).max() ?? Date()).timeIntervalSince(start)
        try await close(lanes, leave: leave)
        guard !latencies.isEmpty else { throw BenchError("drain found no task: run publish before it") }
        return PhaseResult(phase: "drain", tasks: latencies.count, seconds: seconds, latencies: latencies)
    }

    /// Half the connections publish, half work (long polls); latency runs from publish to
    /// receipt, and the phase ends when the last task is finished. Its queue must start
    /// empty: a task left by another phase carries no publication time.
    func mixed() async throws -> PhaseResult {
        let connection = try await connect(0)
        let waiting = try await connection.send(.GET, "/status?queue=\(queue)").json().objectValue?["queue"]?.objectValue?["length"]
        await connection.close()
        guard waiting == .int(0) else { throw BenchError("mixed needs its queue empty, not \(waiting ?? .null) waiting: run drain before it") }
        let publishers = try await openLanes(connections / 2) { _ in }
        let workers = try await openLanes(connections - connections / 2) { try await registerWorker($0) }
        let start = Date()
        let finished = FinishedCounter(total: tasks)
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            group.addTask {
                _ = try await concurrently(publishers, count: tasks) { connection, i in
                    try await publishOne(task(i, sentAt: Date().timeIntervalSince1970), on: connection)
                }
                return []
            }
            group.addTask {
                try await run(workers) { lane in
                    try await work(lane, wait: 1, until: finished) { task, _, receivedAt in
                        guard case .double(let sentAt)? = task["data"]?.objectValue?["ts"] else {
                            throw BenchError("a task without its publication time: \(task)")
                        }
                        return receivedAt.timeIntervalSince1970 - sentAt
                    }
                }.flatMap(\.latencies)
            }
            // A publisher that fails ends the phase: its workers would wait for tasks forever.
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let seconds = (finished.reachedTotalAt ?? Date()).timeIntervalSince(start)
        try await close(publishers)
        try await close(workers, leave: leave)
        return PhaseResult(phase: "mixed", tasks: latencies.count, seconds: seconds, latencies: latencies)
    }

    /// A lane of a phase: a connection of its own, whose event loop runs the lane's tasks, and
    /// what the lane set up on it before the phase's clock started (a worker's id).
    private struct Lane<Setup: Sendable>: Sendable {
        let index: Int
        let connection: BenchConnection
        let executor: EventLoopTaskExecutor
        let setup: Setup
    }

    /// Opens `width` lanes at once and sets each one up, before the phase's clock starts: the
    /// shared benchmark's clients, and pgbench's, connect before theirs too.
    private func openLanes<Setup: Sendable>(
        _ width: Int, _ setup: @escaping @Sendable (BenchConnection) async throws -> Setup
    ) async throws -> [Lane<Setup>] {
        try await withThrowingTaskGroup(of: Lane<Setup>.self) { group in
            for index in 0..<width {
                let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
                let executor = executors.executor(for: eventLoop)
                group.addTask(executorPreference: executor) {
                    let connection = try await BenchConnection.connect(to: urls[index % urls.count], on: eventLoop)
                    return Lane(index: index, connection: connection, executor: executor, setup: try await setup(connection))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// Runs `body` on every lane at once and gathers what each returns. A lane's task runs on
    /// its connection's event loop, where the answers arrive: on Swift's global executor
    /// (Dispatch's threads, see `main.swift`) each request cost two hops between threads, a
    /// fifth of the client's CPU.
    private func run<Setup: Sendable, T: Sendable>(
        _ lanes: [Lane<Setup>], _ body: @escaping @Sendable (Lane<Setup>) async throws -> T
    ) async throws -> [T] {
        try await withThrowingTaskGroup(of: T.self) { group in
            for lane in lanes {
                group.addTask(executorPreference: lane.executor) { try await body(lane) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// Closes the lanes' connections, after `leave` on each.
    private func close<Setup: Sendable>(
        _ lanes: [Lane<Setup>], leave: (@Sendable (Lane<Setup>) async throws -> Void)? = nil
    ) async throws {
        _ = try await run(lanes) { lane in
            try await leave?(lane)
            await lane.connection.close()
        }
    }

    /// Runs `count` iterations over the lanes, iteration `i` on lane `i` modulo their number,
    /// and gathers what they return.
    private func concurrently<Setup: Sendable, T: Sendable>(
        _ lanes: [Lane<Setup>], count: Int, _ body: @escaping @Sendable (BenchConnection, Int) async throws -> T
    ) async throws -> [T] {
        try await run(lanes) { lane in
            var results: [T] = []
            for i in stride(from: lane.index, to: count, by: lanes.count) { results.append(try await body(lane.connection, i)) }
            return results
        }.flatMap { $0 }
    }

    /// Registers a worker on `queue` (the bench's own by default) and answers its id.
    func registerWorker(_ connection: BenchConnection, on queue: String? = nil) async throws -> String {
        let registration = try await connection.send(.PUT, "/worker", json: #"{"queues":["\#(queue ?? self.queue)"]}"#).json()
        guard case .string(let worker)? = registration.objectValue?["workerId"] else {
            throw BenchError("PUT /worker answered no workerId")
        }
        return worker
    }

    func deleteWorker(_ worker: String, on connection: BenchConnection) async throws {
        _ = try await connection.send(.DELETE, "/worker?workerId=\(worker)").json()
    }

    private func leave(_ lane: Lane<String>) async throws {
        try await deleteWorker(lane.setup, on: lane.connection)
    }

    /// A worker's lane leases and finishes; without `until` it stops at its first empty lease,
    /// with it once that counts its total finished. A worker reports and takes its next tasks
    /// in one call (`next`), as a CouchQueue worker does; only a lease of its own waits
    /// (`wait`), so that a report is counted as soon as it is recorded. `measure` is given each
    /// task, the time from the call that handed it out to the answer to its report, and when
    /// it was received. Returns what `measure` made of each task, and when the lane's last
    /// report was answered.
    private func work(
        _ lane: Lane<String>, wait: Double?, until finished: FinishedCounter? = nil,
        _ measure: @escaping @Sendable (JSONObject, Double, Date) throws -> Double
    ) async throws -> (latencies: [Double], lastAnswer: Date?) {
        let (connection, worker) = (lane.connection, lane.setup)
        let lease = "/task?workerId=\(worker)" + (batch > 1 ? "&count=\(batch)" : "") + (wait.map { "&wait=\($0)" } ?? "")
        var held: [Leased] = []
        var heldSince = Date()
        var receivedAt = Date()
        var lastAnswer: Date?
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
            (held, heldSince, receivedAt, lastAnswer) = (next, reportedAt, answeredAt, answeredAt)
        }
        return (latencies, lastAnswer)
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
