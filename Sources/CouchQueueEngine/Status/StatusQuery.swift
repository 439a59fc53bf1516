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
