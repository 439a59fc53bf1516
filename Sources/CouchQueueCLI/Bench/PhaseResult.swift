/// One benchmark phase's outcome: throughput and latency percentiles (nearest rank).
struct PhaseResult {
    let phase: String
    let tasks: Int
    let seconds: Double
    let latencies: [Double]

    var tasksPerSecond: Double { Double(tasks) / seconds }

    func percentile(_ p: Double) -> Double {
        guard !latencies.isEmpty else { return 0 }
        let sorted = latencies.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// `phase tasks_per_s=X p50_ms=Y p99_ms=Z`, the line format of the shared peer benchmark.
    var line: String {
        func f(_ value: Double) -> String { String(format: "%.2f", value) }
        return "couchqueue \(phase) tasks_per_s=\(String(format: "%.0f", tasksPerSecond)) p50_ms=\(f(percentile(50) * 1000)) p99_ms=\(f(percentile(99) * 1000)) n=\(tasks) seconds=\(f(seconds))"
    }
}
