import CouchQueueEngine
import CouchQueueModel

/// `/task`: publish, lease, finish.
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
        if try parameters.bool("fastPost") == true {
            return APIResult(.accepted, try engine.publishLater(publication))
        }
        let published = try await engine.publish(publication)
        return APIResult(published.tasks.isEmpty ? .ok : .created, published)
    }

    static func lease(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        let task = try await engine.lease(
            workerId: try parameters.requiredString("workerId"), wait: try parameters.double("wait"))
        return APIResult(TaskResponse(task: task))
    }

    static func finish(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        guard let outcome = try parameters.choice("state", TaskOutcome.self) else {
            throw APIError.badRequest("state is required: success or fail")
        }
        let task = try await engine.finish(
            workerId: try parameters.requiredString("workerId"),
            taskId: try parameters.requiredString("taskId"),
            outcome: outcome,
            failReason: try parameters.string("failReason"),
            reEnqueue: try parameters.bool("reEnqueue") ?? false,
            attempt: try parameters.int("attempt"))
        return APIResult(TaskResponse(task: task))
    }
}
