@testable import CouchQueueEngine
import CouchQueueStoreSQLite
import Foundation
import Logging
import Synchronization
import Testing

/// An engine over a fresh SQLite file, with a clock the test moves by hand. Parked leases are
/// served as in the server: woken by publishes, and re-checked on the waiting workers' tick.
final class EngineHarness: Sendable {
    let engine: QueueEngine
    let store: SQLiteStore
    private let directory: URL
    private let clock = TestClock()
    private let waitingWorkers: Task<Void, Never>

    init(configure: (inout EngineOptions) -> Void = { _ in }) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cq-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("q.sqlite").path)
        var options = EngineOptions()
        options.now = { [clock] in clock.now }
        configure(&options)
        engine = QueueEngine(store: store, options: options, logger: Logger(label: "tests"))
        waitingWorkers = Task { [engine] in await engine.waitingWorkers.run() }
    }

    var now: Double { clock.now }

    func advance(_ seconds: Double) {
        clock.advance(seconds)
    }

    /// Waits until `count` leases are parked.
    func parked(_ count: Int) async throws {
        let clock = ContinuousClock()
        let giveUp = clock.now.advanced(by: .seconds(20))
        while engine.waitingWorkers.parkedCount < count {
            try #require(clock.now < giveUp, "\(count) leases never parked")
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func close() async throws {
        waitingWorkers.cancel()
        await waitingWorkers.value
        try await store.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Time that moves only when a test says so.
final class TestClock: Sendable {
    private let time = Mutex(1_000_000.0)
    var now: Double { time.withLock { $0 } }
    func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
}
