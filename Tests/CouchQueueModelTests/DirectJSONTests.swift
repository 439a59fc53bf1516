import CouchQueueModel
import Testing

/// The answers written straight to bytes read back exactly as their `Encodable` form does.
@Suite struct DirectJSONTests {
    static let task = QueueTask(
        id: "t_1", publicationId: "p_1", queue: "emails", workerId: nil, publisher: "shop \"east\"\n",
        data: .object(["to": .string("a@b.c"), "n": .int(3), "x": .double(0.5), "nested": .array([.null, .bool(true)])]),
        scope: .all, singularlyEnqueue: true, singularlyRun: false, state: .started, attempts: 2,
        runAt: 1_764_460_800.25, createdAt: 1_764_460_800, startedAt: 1_764_460_801.5, finishedAt: nil,
        failReason: "tab\there \u{1}")

    static func readsBackAsEncoded(_ value: some Encodable & JSONDirectlyWritable) throws {
        #expect(try JSONValue.parse(value.jsonBytes, maxDepth: 64) == JSONValueEncoder.jsonValue(value))
    }

    @Test func taskAnswers() throws {
        try Self.readsBackAsEncoded(TaskResponse(task: Self.task))
        try Self.readsBackAsEncoded(TaskResponse(task: nil))
        var finished = Self.task
        finished.workerId = "w_9"
        finished.finishedAt = 5
        finished.failReason = nil
        try Self.readsBackAsEncoded(finished)
    }

    @Test func batchAnswers() throws {
        try Self.readsBackAsEncoded(LeaseResponse(tasks: [Self.task, Self.task]))
        try Self.readsBackAsEncoded(LeaseResponse(tasks: []))
        try Self.readsBackAsEncoded(TaskReportsResponse(results: [
            .task(Self.task), .error(ErrorResponse.Detail(code: "not_leased", message: "no")),
        ]))
    }

    @Test func publishAndErrorAnswers() throws {
        try Self.readsBackAsEncoded(PublishResponse(id: "p_1", tasks: []))
        try Self.readsBackAsEncoded(PublishResponse(id: "p_1", tasks: [
            PublishedTask(id: "t_1", queue: "a", workerId: nil, state: .queued, duplicate: false),
            PublishedTask(id: "t_2", queue: "b", workerId: "w_1", state: .scheduled, duplicate: true),
        ]))
        try Self.readsBackAsEncoded(ErrorResponse(code: "bad_request", message: "publisher must be \"text\""))
    }

    @Test func theEncoderTakesTheDirectPath() throws {
        let response = TaskResponse(task: Self.task)
        #expect(try JSONValueEncoder.encode(response) == response.jsonBytes)
    }
}
