import CouchQueueModel
import Dispatch
import Synchronization

/// Compiles interests off the event loops. Compiling is bounded by the patterns' expanded
/// size, but one `PUT /interest` within every limit may still take most of a second (forty
/// fields of `\pL{1000}`: about 0.8 s), and an event loop serves many connections. Each kind
/// of compile has one serial queue: interests change rarely, and one compile at a time leaves
/// the other CPUs to the event loops.
enum InterestCompiling {
    /// Interests being set, checked before they are stored: a client sending costly ones,
    /// valid or refused, holds up only other changes, never the reloads publishes wait for.
    private static let checking = DispatchQueue(label: "couchqueue.interest-checking")
    /// Interests loaded for routing.
    private static let loading = DispatchQueue(label: "couchqueue.interest-loading")
    /// The last few compiled. Reloads that run together (every publish that finds the
    /// interests changed asks for one) compile a change once, and the reload after a change
    /// reuses what checking it compiled. Found by `isIdentical`: names and patterns equal byte
    /// for byte, not merely as Swift compares strings.
    private static let recent = Mutex<[CompiledInterests]>([])
    private static let recentLimit = 8

    /// Throws unless `interests` compile within every limit.
    static func check(_ interests: Interests) async throws(EngineError) {
        _ = try await compile(on: checking) { () throws(EngineError) in
            try CompiledInterests(interests, checkingTotalSize: true)
        }
    }

    /// Stored interests, compiled for routing whatever their size (see `CompiledInterests`).
    static func load(_ interests: Interests) async throws(EngineError) -> CompiledInterests {
        try await compile(on: loading) { () throws(EngineError) in
            // Only here: one compiled without the size check must not pass a check.
            if let known = recent.withLock({ $0.first { $0.source.isIdentical(to: interests) } }) { return known }
            return try CompiledInterests(interests)
        }
    }

    /// Runs `work` on the queue that compiles stored interests: building a routing table over
    /// many patterns takes milliseconds, too long for an event loop.
    static func whileLoading<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await run(on: loading, work)
    }

    /// Compiles on `queue`, and keeps the result among the recent ones before the next compile
    /// on that queue begins.
    private static func compile(
        on queue: DispatchQueue, _ make: @escaping @Sendable () throws(EngineError) -> CompiledInterests
    ) async throws(EngineError) -> CompiledInterests {
        try await run(on: queue) {
            let compiled = Result(catching: make)
            if case .success(let made) = compiled { remember(made) }
            return compiled
        }.get()
    }

    private static func run<T: Sendable>(on queue: DispatchQueue, _ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }

    private static func remember(_ compiled: CompiledInterests) {
        recent.withLock { recent in
            guard !recent.contains(where: { $0.source.isIdentical(to: compiled.source) }) else { return }
            if recent.count == recentLimit { recent.removeFirst() }
            recent.append(compiled)
        }
    }
}
