import ArgumentParser

/// `couchqueue bench`: drives a running server over real HTTP and prints each phase's
/// throughput and latency.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a running CouchQueue server over HTTP.",
        discussion: """
            Phases: publish (C connections publish N tasks), drain (C workers lease and finish \
            them), mixed (on an empty queue, C/2 publishers as fast as they can and C/2 \
            long-polling workers; latency from publish to receipt, and the phase ends when the \
            last task is finished). With --backlog, B tasks are first left waiting in another \
            queue, to show that publish and lease costs do not grow with the number of tasks \
            the store holds. With --parked, P more connections long-poll a queue that gets no \
            task while the phases run, to show that a publish does not cost more for the \
            workers waiting on other queues. Tasks are durable publishes, as in ../shared/bench. \
            Tasks go to every queue their data interests, so the bench refuses to run where \
            another queue is interested in everything or in one of its tasks' fields (run, \
            userId, email, ts, backlog): run it against a server of its own.
            """)

    @Option(help: "A server's address; repeat it to spread connections over several servers.")
    var url: [String] = ["http://127.0.0.1:7878"]

    // The numbers take the next argument even when it starts with "-", as `serve`'s do: `-t -5`
    // is refused for its value, not taken for a flag.
    @Option(name: .shortAndLong, parsing: .unconditional, help: "Tasks per phase.")
    var tasks = 20_000

    @Option(name: [.customShort("c"), .long], parsing: .unconditional, help: "Concurrent connections.")
    var connections = 16

    @Option(parsing: .unconditional, help: "Tasks left waiting in a separate queue before the phases run.")
    var backlog = 0

    @Option(parsing: .unconditional, help: "Tasks a worker leases and reports on per call (GET /task?count=, POST /tasks); 1: one by one, as the peers.")
    var batch = 1

    @Option(parsing: .unconditional, help: "Workers that long-poll a queue of their own, which gets no task, while the phases run; one connection each.")
    var parked = 0

    @Option(help: "Comma-separated phases to run: publish, drain, mixed.")
    var phases = "publish,drain,mixed"

    func validate() throws {
        guard tasks > 0, connections >= 2, backlog >= 0, parked >= 0, (1...100).contains(batch), !url.isEmpty else {
            throw ValidationError("--tasks must be positive, --connections at least 2, --backlog and --parked 0 or more, --batch 1 to 100")
        }
    }

    func run() async throws {
        let runner = BenchRunner(urls: url, tasks: tasks, connections: connections, batch: batch)
        try await runner.prepare(backlog: backlog)
        let parkedWorkers = try await runner.park(parked)
        for phase in phases.split(separator: ",") {
            let result: PhaseResult
            switch phase {
            case "publish": result = try await runner.publish()
            case "drain": result = try await runner.drain()
            case "mixed": result = try await runner.mixed()
            default: throw ValidationError("unknown phase \(phase)")
            }
            print(result.line + (batch > 1 && phase != "publish" ? " batch=\(batch)" : "") + (parked > 0 ? " parked=\(parked)" : ""))
        }
        try await parkedWorkers.leave()
        try await runner.cleanUp()
    }
}
