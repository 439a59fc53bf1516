/// A task as every response carries it (the contract's "task object").
///
/// Optional fields are written as `null`, never left out: clients rely on every key being present.
public struct QueueTask: Codable, Sendable, Equatable {
    public var id: String
    public var publicationId: String
    public var queue: String
    public var workerId: String?
    public var publisher: String
    public var data: CanonicalJSON
    public var scope: TaskScope
    public var singularlyEnqueue: Bool
    public var singularlyRun: Bool
    public var state: TaskState
    public var attempts: Int
    public var runAt: Double
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    public var failReason: String?

    public init(
        id: String, publicationId: String, queue: String, workerId: String?, publisher: String,
        data: CanonicalJSON, scope: TaskScope, singularlyEnqueue: Bool, singularlyRun: Bool,
        state: TaskState, attempts: Int, runAt: Double, createdAt: Double,
        startedAt: Double?, finishedAt: Double?, failReason: String?
    ) {
        self.id = id
        self.publicationId = publicationId
        self.queue = queue
        self.workerId = workerId
        self.publisher = publisher
        self.data = data
        self.scope = scope
        self.singularlyEnqueue = singularlyEnqueue
        self.singularlyRun = singularlyRun
        self.state = state
        self.attempts = attempts
        self.runAt = runAt
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.failReason = failReason
    }

    private enum CodingKeys: String, CodingKey {
        case id, publicationId, queue, workerId, publisher, data, scope, singularlyEnqueue, singularlyRun
        case state, attempts, runAt, createdAt, startedAt, finishedAt, failReason
    }

    /// The same members as `write(to:)`, which this reads back, so the two forms cannot drift.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(try JSONValue.parse(jsonBytes, maxDepth: .max))
    }
}

extension QueueTask: JSONDirectlyWritable {
    public func write(to object: inout JSONObjectWriter) {
        object.add("id", id)
        object.add("publicationId", publicationId)
        object.add("queue", queue)
        object.add("workerId", workerId)
        object.add("publisher", publisher)
        object.add("data", canonical: data)
        object.add("scope", scope.rawValue)
        object.add("singularlyEnqueue", singularlyEnqueue)
        object.add("singularlyRun", singularlyRun)
        object.add("state", state.rawValue)
        object.add("attempts", attempts)
        object.add("runAt", runAt)
        object.add("createdAt", createdAt)
        object.add("startedAt", startedAt)
        object.add("finishedAt", finishedAt)
        object.add("failReason", failReason)
    }
}
