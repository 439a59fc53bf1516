import CouchQueueModel

/// A publish request once decoded: what `PUT /task` asks for.
public struct Publication: Sendable {
    public var publisher: String
    public var data: JSONValue
    public var runAt: Double?
    public var scope: TaskScope
    public var singularlyEnqueue: Bool
    public var singularlyRun: Bool

    public init(
        publisher: String, data: JSONValue, runAt: Double? = nil, scope: TaskScope = .any,
        singularlyEnqueue: Bool = false, singularlyRun: Bool = false
    ) {
        self.publisher = publisher
        self.data = data
        self.runAt = runAt
        self.scope = scope
        self.singularlyEnqueue = singularlyEnqueue
        self.singularlyRun = singularlyRun
    }
}
