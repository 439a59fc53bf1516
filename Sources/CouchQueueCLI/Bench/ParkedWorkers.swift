/// Workers that long-poll a queue no task goes to, each on a connection of its own, while the
/// phases run: what waits on other queues must not slow publishes down (`--parked`).
struct ParkedWorkers {
    private let connections: [BenchConnection]
    private let workers: [String]
    private let polls: Task<Void, Never>?
    private let runner: BenchRunner

    fileprivate init(connections: [BenchConnection], workers: [String], runner: BenchRunner) {
        self.connections = connections
        self.workers = workers
        self.runner = runner
        polls = workers.isEmpty ? nil : Task {
            await withTaskGroup(of: Void.self) { group in
                for (connection, worker) in zip(connections, workers) {
                    group.addTask {
                        // Until `leave` closes the connection, which fails the poll under way.
                        while !Task.isCancelled, (try? await connection.send(.GET, "/task?workerId=\(worker)&wait=30")) != nil {}
                    }
                }
            }
        }
    }

    /// Closes the workers' connections, which ends their polls, then deletes the workers.
    func leave() async throws {
        guard let polls else { return }
        polls.cancel()
        for connection in connections { await connection.close() }
        await polls.value
        let connection = try await runner.connect(0)
        for worker in workers { try await runner.deleteWorker(worker, on: connection) }
        await connection.close()
    }
}

extension BenchRunner {
    var parkingQueue: String { "bench-parked-\(runID)" }

    /// Registers `count` workers on `parkingQueue` and starts their long polls, giving them a
    /// second to park before the phases begin.
    func park(_ count: Int) async throws -> ParkedWorkers {
        var (connections, workers): ([BenchConnection], [String]) = ([], [])
        for lane in 0..<count {
            let connection = try await connect(lane)
            connections.append(connection)
            workers.append(try await registerWorker(connection, on: parkingQueue))
        }
        let parked = ParkedWorkers(connections: connections, workers: workers, runner: self)
        if count > 0 { try await Task.sleep(for: .seconds(1)) }
        return parked
    }
}
