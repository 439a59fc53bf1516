/// A domain refusal from a store: the operation changed nothing.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case workerNotFound
        case taskNotFound
        /// The task is not started by this worker at this attempt.
        case notLeased
        /// Routing used interests that another server has changed since: route again.
        case staleInterests
    }

    public let code: Code
    public let id: String

    public static func workerNotFound(_ id: String) -> StoreError { StoreError(code: .workerNotFound, id: id) }
    public static func taskNotFound(_ id: String) -> StoreError { StoreError(code: .taskNotFound, id: id) }
    public static func notLeased(_ id: String) -> StoreError { StoreError(code: .notLeased, id: id) }
    public static func staleInterests(_ publicationId: String) -> StoreError { StoreError(code: .staleInterests, id: publicationId) }

    public var description: String { "\(code.rawValue): \(id)" }
}
