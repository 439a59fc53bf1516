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

    /// About what the publication holds in memory: its data's values (32 bytes each, the size
    /// of a value with its place in an array or among an object's members), their strings and
    /// keys. A body of 1 MiB may hold ten times that once parsed (`[0,0,…]`).
    var heldBytes: Int {
        Self.heldBytes(data) + publisher.utf8.count
    }

    private static func heldBytes(_ value: JSONValue) -> Int {
        switch value {
        case .string(let text), .largeInteger(let text): 32 + text.utf8.count
        case .array(let values): values.reduce(32) { $0 + heldBytes($1) }
        case .object(let members): members.reduce(32) { $0 + 32 + $1.key.utf8.count + heldBytes($1.value) }
        case .null, .bool, .int, .double: 32
        }
    }
}
