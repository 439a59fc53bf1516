/// The store could not be reached in time (its database is down, or every connection stayed
/// busy): nothing is known of what the operation did, and it may be tried again later.
public struct StoreUnavailable: Error, Sendable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { "store unavailable: \(reason)" }
}
