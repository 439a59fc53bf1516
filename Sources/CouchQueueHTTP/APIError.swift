import CouchQueueEngine
import CouchQueueModel
import CouchQueueStore
import HTTPTypes

/// An error as the contract writes it: a status and `{"error": {"code", "message"}}`.
///
/// `init(_:)` is the one place where engine, store and HTTP-layer errors become HTTP.
public struct APIError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// The header the answer carries (`APIResponse.header`).
    var header: HTTPField?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func methodNotAllowed(_ message: String, allowed: [HTTPRequest.Method]) -> APIError {
        var error = APIError(.methodNotAllowed, "method_not_allowed", message)
        error.header = HTTPField(name: .allow, value: allowed.map(\.rawValue).joined(separator: ", "))
        return error
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }

    /// What `GET /health` answers when the store cannot be reached, and any request that
    /// needed it then: a client may try again.
    static var storeUnavailable: APIError {
        var error = APIError(.serviceUnavailable, "store_unavailable", "the store cannot be reached")
        error.header = HTTPField(name: .retryAfter, value: "1")
        return error
    }

    /// Translates any error; an unexpected one becomes a 500 that reveals nothing internal.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as EngineError:
            self = Self.translate(error)
        case let error as StoreError:
            self = Self.translate(error)
        case is StoreUnavailable:
            self = .storeUnavailable
        default:
            self = APIError(.internalServerError, "internal_error", "the server failed to handle the request; it was logged")
        }
    }

    var isServerError: Bool { status.code >= 500 }

    private static func translate(_ error: EngineError) -> APIError {
        switch error.code {
        case .badRequest: APIError(.badRequest, "bad_request", error.message)
        case .invalidInterest: APIError(.badRequest, "invalid_interest", error.message)
        case .invalidQueues: APIError(.badRequest, "invalid_queues", error.message)
        case .queueNotFound: APIError(.notFound, "queue_not_found", error.message)
        case .unavailable: APIError(.serviceUnavailable, "unavailable", error.message)
        }
    }

    private static func translate(_ error: StoreError) -> APIError {
        switch error.code {
        case .workerNotFound:
            APIError(.notFound, "worker_not_found", "no worker \(error.id.prefix(140)): it was deleted or reaped, or never registered; register again with PUT /worker")
        case .taskNotFound:
            APIError(.notFound, "task_not_found", "no task \(error.id.prefix(140))")
        case .notLeased:
            APIError(.conflict, "not_leased", "task \(error.id.prefix(140)) is not started by this worker at this attempt: its lease was lost or it was finished")
        case .staleInterests:
            APIError(.serviceUnavailable, "unavailable", "interests kept changing while this task was routed; publish again")
        }
    }

    var response: APIResponse {
        var response = APIResult(status, ErrorResponse(code: code, message: message)).response
        response.header = header
        return response
    }
}
