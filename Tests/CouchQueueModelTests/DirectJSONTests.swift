import CouchQueueModel
import Testing

/// The answers written straight to bytes read back exactly as their `Encodable` form does.
@Suite struct DirectJSONTests {
    static let task = QueueTask(
        id: "t_1", publicationId: "p_1", queue: "emails", workerId: nil, publisher: "shop \"east\"\n",
        data: CanonicalJSON(.object(["to": .string("a@b.c"), "n": .int(3), "x": .double(0.5), "nested": .array([.null, .bool(true)])])),
        scope: .all, singularlyEnqueue: true, singularlyRun: false, state: .started, attempts: 2,
        runAt: 1_764_460_800.25, createdAt: 1_764_460_800, startedAt: 1_764_460_801.5, finishedAt: nil,
        failReason: "tab\there \u{1}")

    static func readsBackAsEncoded(_ value: some Encodable & JSONDirectlyWritable) throws {
        #expect(try JSONValue.parse(value.jsonBytes, maxDepth: 64) == JSONValueEncoder.jsonValue(value))
    }

    @Test func aTaskCarriesEveryMemberWithNullsWritten() throws {
        let task = try #require(try JSONValue.parse(Self.task.jsonBytes, maxDepth: 64).objectValue)
        #expect(task == [
            "id": .string("t_1"), "publicationId": .string("p_1"), "queue": .string("emails"), "workerId": .null,
            "publisher": .string("shop \"east\"\n"), "data": try Self.task.data.value, "scope": .string("all"),
            "singularlyEnqueue": .bool(true), "singularlyRun": .bool(false), "state": .string("started"),
            "attempts": .int(2), "runAt": .double(1_764_460_800.25), "createdAt": .double(1_764_460_800),
            "startedAt": .double(1_764_460_801.5), "finishedAt": .null, "failReason": .string("tab\there \u{1}"),
        ])
        #expect(try JSONValueEncoder.jsonValue(Self.task) == .object(task))
    }

    @Test func taskAnswers() throws {
        try Self.readsBackAsEncoded(TaskResponse(task: Self.task))
        try Self.readsBackAsEncoded(TaskResponse(task: nil))
        try Self.readsBackAsEncoded(TaskResponse(task: Self.task, next: [Self.task]))
        try Self.readsBackAsEncoded(TaskResponse(task: Self.task, next: []))
    }

    @Test func batchAnswers() throws {
        try Self.readsBackAsEncoded(LeaseResponse(tasks: [Self.task, Self.task]))
        try Self.readsBackAsEncoded(LeaseResponse(tasks: []))
        try Self.readsBackAsEncoded(TaskReportsResponse(results: [
            .task(Self.task), .error(ErrorResponse.Detail(code: "not_leased", message: "no")),
        ]))
        try Self.readsBackAsEncoded(TaskReportsResponse(results: [.task(Self.task)], next: [Self.task]))
    }

    @Test func publishAndErrorAnswers() throws {
        try Self.readsBackAsEncoded(PublishResponse(id: "p_1", tasks: []))
        try Self.readsBackAsEncoded(PublishResponse(id: "p_1", tasks: [
            PublishedTask(id: "t_1", queue: "a", workerId: nil, state: .queued, duplicate: false),
            PublishedTask(id: "t_2", queue: "b", workerId: "w_1", state: .scheduled, duplicate: true),
        ]))
        try Self.readsBackAsEncoded(ErrorResponse(code: "bad_request", message: "publisher must be \"text\""))
    }

    @Test func statusAnswers() throws {
        var status = StatusResponse()
        try Self.readsBackAsEncoded(status)
        status.queue = QueueSummary(name: "emails", length: 3, scheduled: 1, started: 2)
        status.queues = [QueueOverview(name: "emails", length: 3, scheduled: 1, started: 2, failed: 4, workers: 5)]
        status.workerQueue = WorkerQueueSummary(workerId: "w_1", length: 0)
        status.interests = ["emails": .fields(["to": "@b\\.c$"]), "audit": .everything]
        status.workers = [WorkerSummary(workerId: "w_1", queues: ["emails"], tasks: ["t_1"], registeredAt: 1.5, lastSeenAt: 2)]
        status.failedQueue = FailedQueuePage(length: 7, tasks: [Self.task, Self.task], nextOffset: 2)
        status.task = Self.task
        status.fastPost = FastPostCounts()
        try Self.readsBackAsEncoded(status)
        status.failedQueue = FailedQueuePage(length: 0, tasks: [])
        try Self.readsBackAsEncoded(status)
    }

    @Test func theEncoderTakesTheDirectPath() throws {
        let response = TaskResponse(task: Self.task)
        #expect(try JSONValueEncoder.encode(response) == response.jsonBytes)
    }
}

