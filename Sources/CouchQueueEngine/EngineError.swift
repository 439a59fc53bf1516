/// A request the engine refuses for a domain reason; nothing was changed.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case badRequest
        case invalidInterest
        case invalidQueues
        case queueNotFound
        /// The server cannot take this work now: it is shutting down, or has too much queued.
        case unavailable
    }

    public let code: Code
    /// A sentence a person can act on.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
