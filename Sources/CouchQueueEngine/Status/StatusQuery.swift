/// The sections `GET /status` asks for.
public struct StatusQuery: Sendable {
    public var queue: String?
    public var queues = false
    public var workerQueue: String?
    public var interests = false
    public var workers = false
    public var failedQueue = false
    public var failedOffset = 0
    public var failedLimit = 50
    /// The most bytes of data and fail reasons a page of failed tasks holds
    /// (`FailedQueuePage.cut`): fifty tasks at the default body limit fit.
    public var failedMaxBytes = 64 << 20
    public var fastPost = false
    public var task: String?

    public init() {}

    /// Refuses a page of failed tasks out of range.
    public func checkPaging() throws(EngineError) {
        guard failedOffset >= 0, (1...1000).contains(failedLimit) else {
            throw EngineError(.badRequest, "offset must be 0 or more and limit from 1 to 1000")
        }
    }

    /// With no section asked: every section but `queue`, `workerQueue` and `task`.
    public static var overview: StatusQuery {
        var query = StatusQuery()
        query.queues = true
        query.interests = true
        query.workers = true
        query.failedQueue = true
        query.fastPost = true
        return query
    }
}
