import CouchQueueEngine
import CouchQueueModel

/// `/task` and `/tasks`: publish, lease (one or several), finish (one or several).
enum TaskController {
    static func create(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        guard let data = try parameters.json("data") else { throw APIError.badRequest("data is required: a JSON object") }
        guard data.objectValue != nil else { throw APIError.badRequest("data must be a JSON object") }
        let publication = Publication(
            publisher: try parameters.requiredString("publisher"),
            data: data,
            runAt: try parameters.double("runAt"),
            scope: try parameters.choice("scope", TaskScope.self) ?? .any,
            singularlyEnqueue: try parameters.bool("singularlyEnqueue") ?? false,
            singularlyRun: try parameters.bool("singularlyRun") ?? false)
        // Only an explicit true gives up waiting for durability: `fastPost=` (or named alone) is off.
        if try parameters.bool("fastPost") == true {
            return APIResult(.accepted, try engine.publishLater(publication))
        }
        let published = try await engine.publish(publication)
        return APIResult(published.tasks.isEmpty ? .ok : .created, published)
    }

    /// With `count`, up to that many tasks at once, also listed as `tasks`.
    static func lease(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        let count = try batchSize(parameters, "count")
        let tasks = try await engine.lease(
            workerId: try parameters.requiredString("workerId"), wait: try parameters.double("wait"), limit: count ?? 1)
        return APIResult(count == nil ? TaskResponse(task: tasks.first) : LeaseResponse(tasks: tasks))
    }

    /// With `next`, the worker's next tasks come in the same answer, as `next`.
    static func finish(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        let next = try nextLease(parameters)
        let finished = try await engine.finish(
            workerId: try parameters.requiredString("workerId"), try report(parameters), thenLease: next)
        return APIResult(TaskResponse(task: finished.task, next: next.map { _ in finished.next }))
    }

    /// `POST /tasks`: `results` holds up to `maxBatch` reports, each an object with the
    /// parameters of `POST /task` but `workerId`; each is answered on its own, in order.
    static func finishSeveral(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        let workerId = try parameters.requiredString("workerId")
        guard case .array(let entries)? = try parameters.json("results"), (1...maxBatch).contains(entries.count) else {
            throw APIError.badRequest("results is required: a JSON array of 1 to \(maxBatch) objects with taskId and state")
        }
        var reports: [TaskReport] = []
        for (position, entry) in entries.enumerated() {
            guard case .object(let members) = entry else { throw APIError.badRequest("results[\(position)] must be an object") }
            var entryParameters = RequestParameters(maxJSONDepth: parameters.maxJSONDepth)
            entryParameters.merge(json: members)
            do {
                reports.append(try report(entryParameters))
            } catch {
                throw APIError.badRequest("results[\(position)]: \(error.message)")
            }
        }
        let next = try nextLease(parameters)
        let (results, leased) = try await engine.finish(workerId: workerId, reports: reports, thenLease: next)
        let answers = results.map { result -> TaskReportsResponse.Entry in
            switch result {
            case .success(let task): return .task(task)
            case .failure(let error):
                let refusal = APIError(error)
                return .error(ErrorResponse.Detail(code: refusal.code, message: refusal.message))
            }
        }
        return APIResult(TaskReportsResponse(results: answers, next: next.map { _ in leased }))
    }

    /// The most tasks one call leases or reports on.
    static let maxBatch = 100

    /// `count` or `next`: absent, or a whole number from 1 to `maxBatch`.
    private static func batchSize(_ parameters: RequestParameters, _ name: String) throws(APIError) -> Int? {
        let size = try parameters.int(name)
        if let size, !(1...maxBatch).contains(size) {
            throw .badRequest("\(name) must be a whole number from 1 to \(maxBatch)")
        }
        return size
    }

    /// `next` (how many tasks to lease after the reports) and the `wait` that goes with it.
    private static func nextLease(_ parameters: RequestParameters) throws(APIError) -> NextLease? {
        guard let limit = try batchSize(parameters, "next") else { return nil }
        return NextLease(limit: limit, wait: try parameters.double("wait"))
    }

    private static func report(_ parameters: RequestParameters) throws(APIError) -> TaskReport {
        guard let outcome = try parameters.choice("state", TaskOutcome.self) else {
            throw .badRequest("state is required: success or fail")
        }
        return TaskReport(
            taskId: try parameters.requiredString("taskId"), outcome: outcome, failReason: try parameters.string("failReason"),
            reEnqueue: try parameters.bool("reEnqueue") ?? false, attempt: try parameters.int("attempt"))
    }
}
