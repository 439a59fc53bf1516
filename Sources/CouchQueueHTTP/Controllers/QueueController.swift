import CouchQueueEngine
import CouchQueueModel

/// `/interest` and `/queue`.
enum QueueController {
    static func setInterests(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        let queue = try parameters.requiredString("queue")
        return APIResult(.created, try await engine.setInterests(queue: queue, interests: try interests(parameters)))
    }

    static func clearInterests(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        APIResult(try await engine.clearInterests(queue: try parameters.requiredString("queue")))
    }

    static func delete(_ parameters: RequestParameters, _ engine: QueueEngine) async throws -> APIResult {
        APIResult(try await engine.deleteQueue(queue: try parameters.requiredString("queue")))
    }

    /// `"*"` (also bare `*` in a query or form), or an object of string patterns.
    private static func interests(_ parameters: RequestParameters) throws -> Interests {
        if (try? parameters.string("interests")) == "*" { return .everything }
        guard let value = try parameters.json("interests"), value != .null else {
            throw APIError.badRequest("interests is required: \"*\" or an object of field: regex pairs")
        }
        if value == .string("*") { return .everything }
        // A wrong JSON type is a `bad_request`, as for every parameter; `invalid_interest` is
        // for what is inside the object.
        guard case .object(let members) = value else {
            throw APIError.badRequest("interests must be \"*\" or an object of field: regex pairs")
        }
        var fields: [String: String] = [:]
        for (field, pattern) in members {
            guard case .string(let text) = pattern else {
                throw APIError(.badRequest, "invalid_interest", "interest field \"\(field.prefix(64))\": the pattern must be a string")
            }
            fields[field] = text
        }
        return .fields(fields)
    }
}
