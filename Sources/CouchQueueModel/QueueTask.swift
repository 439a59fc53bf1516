/// A task as every response carries it (the contract's "task object").
///
/// Optional fields are written as `null`, never left out: clients rely on every key being present.
public struct QueueTask: Codable, Sendable, Equatable {
    public var id: String
    public var publicationId: String
    public var queue: String
    public var workerId: String?
    public var publisher: String
    public var data: JSONValue
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
        data: JSONValue, scope: TaskScope, singularlyEnqueue: Bool, singularlyRun: Bool,
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

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(publicationId, forKey: .publicationId)
        try c.encode(queue, forKey: .queue)
        try c.encode(workerId, forKey: .workerId)
        try c.encode(publisher, forKey: .publisher)
        try c.encode(data, forKey: .data)
        try c.encode(scope, forKey: .scope)
        try c.encode(singularlyEnqueue, forKey: .singularlyEnqueue)
        try c.encode(singularlyRun, forKey: .singularlyRun)
        try c.encode(state, forKey: .state)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(runAt, forKey: .runAt)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(failReason, forKey: .failReason)
    }
}

extension QueueTask: JSONDirectlyWritable {
    public func write(to object: inout JSONObjectWriter) {
        object.add("id", id)
        object.add("publicationId", publicationId)
        object.add("queue", queue)
        object.add("workerId", workerId)
        object.add("publisher", publisher)
        object.add("data", data)
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
