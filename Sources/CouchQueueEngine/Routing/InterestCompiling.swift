import CouchQueueModel
import Dispatch

/// Compiles interests off the event loops. Compiling is bounded by the patterns' expanded
/// size, but one `PUT /interest` within every limit may still take most of a second (forty
/// fields of `\pL{1000}`: about 0.8 s), and an event loop serves many connections. One
/// serial queue: interests change rarely, and one compile at a time leaves the other CPUs
/// to the event loops.
enum InterestCompiling {
    private static let queue = DispatchQueue(label: "couchqueue.interest-compiling")

    /// `CompiledInterests(interests, checkingTotalSize:)`, compiled on the queue.
    static func compile(_ interests: Interests, checkingTotalSize: Bool = false) async throws(EngineError) -> CompiledInterests {
        let compiled: Result<CompiledInterests, EngineError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(EngineError) in
                    try CompiledInterests(interests, checkingTotalSize: checkingTotalSize)
                })
            }
        }
        return try compiled.get()
    }
}
