import CouchQueueEngine
import Hummingbird
import Logging

/// The HTTP edge: resolves the action, applies the cross-site rule, reads parameters, calls
/// the action's controller once, and writes its answer or its error in the contract's shape.
public struct APIResponder: HTTPResponder {
    public typealias Context = BasicRequestContext

    let engine: QueueEngine
    let reader: RequestBodyReader

    public init(engine: QueueEngine, options: HTTPOptions) {
        self.engine = engine
        self.reader = RequestBodyReader(bodyLimit: options.bodyLimit, maxJSONDepth: options.maxJSONDepth)
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        var bodyRead = false
        do {
            var action: Action?
            if case .action(let resolved) = try Action.resolve(method: request.method, path: request.uri.path) {
                try CrossSiteGuard.check(request, action: resolved)
                action = resolved
            }
            let parameters = try await reader.parameters(of: request)
            bodyRead = true
            if action == nil {
                let name = try parameters.requiredString("action")
                action = try Action.named(name, method: request.method)
                try CrossSiteGuard.check(request, action: action!)
            }
            return try await Self.handler(for: action!)(parameters, engine).response
        } catch {
            let apiError = APIError(error)
            if apiError.isServerError {
                context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            return apiError.response(closeConnection: !bodyRead && Self.hasBody(request))
        }
    }

    private static func hasBody(_ request: Request) -> Bool {
        request.headers[.transferEncoding] != nil || (request.headers[.contentLength].flatMap { Int($0) } ?? 0) > 0
    }

    typealias Handler = @Sendable (RequestParameters, QueueEngine) async throws -> APIResult

    private static func handler(for action: Action) -> Handler {
        switch action {
        case .taskCreate: TaskController.create
        case .taskGet: TaskController.lease
        case .taskUpdate: TaskController.finish
        case .workerRegister: WorkerController.register
        case .workerHeartbeat: WorkerController.heartbeat
        case .workerDelete: WorkerController.delete
        case .interestCreate: QueueController.setInterests
        case .interestDelete: QueueController.clearInterests
        case .queueDelete: QueueController.delete
        case .status: StatusController.status
        case .health: StatusController.health
        }
    }
}
