import CouchQueueEngine
import CouchQueueModel
import CouchQueueStore

/// `/status` and `/health`.
struct StatusController: Sendable {
    private static let sections = ["queue", "queues", "workerQueue", "interests", "workers", "failedQueue", "task", "fastPost"]

    /// The most bytes of data and fail reasons a page of failed tasks holds.
    let pageBytes: Int
    /// Pages of failed tasks being read, encoded or sent hold no more than four full pages'
    /// worth of memory at once (`MemoryBudget`). Reading and encoding one takes about twice
    /// its size (the tasks read, and their encoding), so that much is reserved until the
    /// answer's size is known; only the answer is held while it is sent.
    let failedPages: MemoryBudget

    init(pageBytes: Int) {
        self.pageBytes = pageBytes
        self.failedPages = MemoryBudget(limit: 4 * pageBytes)
    }

    func status(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        var query = Self.sections.contains(where: parameters.has) ? StatusQuery() : StatusQuery.overview
        query.queue = try parameters.nonEmptyString("queue")
        query.workerQueue = try parameters.nonEmptyString("workerQueue")
        query.task = try parameters.nonEmptyString("task")
        query.queues = try parameters.flag("queues") ?? query.queues
        query.interests = try parameters.flag("interests") ?? query.interests
        query.workers = try parameters.flag("workers") ?? query.workers
        query.failedQueue = try parameters.flag("failedQueue") ?? query.failedQueue
        query.fastPost = try parameters.flag("fastPost") ?? query.fastPost
        query.failedOffset = try parameters.int("offset") ?? query.failedOffset
        query.failedLimit = try parameters.int("limit") ?? query.failedLimit
        query.failedMaxBytes = pageBytes
        var reservation: MemoryBudget.Reservation?
        if query.failedQueue {
            try query.checkPaging()
            reservation = await failedPages.reserve(2 * pageBytes, unlessLeaves: ClientPresence.current)
            guard reservation != nil else { throw EngineError(.unavailable, "the client left before its status was read") }
        }
        return await APIResult.encodedOffTheLoop(try await engine.status(query), holding: reservation)
    }

    static func health(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        do {
            try await engine.health()
        } catch {
            throw error as? StoreUnavailable ?? StoreUnavailable("\(error)")  // the cause goes to the log, not to the client
        }
        return APIResult(HealthResponse(status: "ok"))
    }
}
