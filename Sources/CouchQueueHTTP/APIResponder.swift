import CouchQueueEngine
import Logging

/// The API: resolves the action, applies the cross-site rule, reads parameters, calls the
/// action's controller once, and answers with its result or its error in the contract's shape.
public struct APIResponder: Sendable {
    let engine: QueueEngine
    let reader: RequestBodyReader
    let crossSiteGuard: CrossSiteGuard
    let statusController: StatusController
    let logger: Logger

    public init(engine: QueueEngine, options: HTTPOptions, logger: Logger) {
        self.engine = engine
        self.reader = RequestBodyReader(maxJSONDepth: options.maxJSONDepth)
        self.crossSiteGuard = CrossSiteGuard(publicHosts: options.publicHosts)
        self.statusController = StatusController(pageBytes: options.statusPageBytes)
        self.logger = logger
    }

    public func respond(to request: APIRequest) async -> APIResponse {
        do {
            var action: Action?
            if case .action(let resolved) = try Action.resolve(method: request.method, path: request.path) {
                try crossSiteGuard.check(request, action: resolved)
                action = resolved
            }
            let parameters = try reader.parameters(of: request)
            if action == nil {
                let name = try parameters.requiredString("action")
                action = try Action.named(name, method: request.method)
                try crossSiteGuard.check(request, action: action!)
            }
            return try await handler(for: action!)(parameters, engine).response
        } catch {
            let apiError = APIError(error)
            if apiError.isServerError {
                logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.path)"])
            }
            return apiError.response
        }
    }

    /// The refusal of a request that its head alone decides (an unknown route, another
    /// method, a cross-site request, a body of a type or coding not read), or nil. For a
    /// client that waits for `100 Continue` before it sends the body: it is refused instead,
    /// and never sends a body only to have it refused.
    func refusal(beforeBodyOf request: APIRequest) -> APIResponse? {
        do {
            if case .action(let action) = try Action.resolve(method: request.method, path: request.path) {
                try crossSiteGuard.check(request, action: action)
            }
            // Body fields of a request without a body are not read.
            if request.field("transfer-encoding") != nil || (request.field("content-length").map { $0 != "0" } ?? false) {
                try reader.checkBodyHeaders(of: request)
            }
            return nil
        } catch {
            return APIError(error).response
        }
    }

    typealias Handler = @Sendable (RequestParameters, QueueEngine) async throws -> APIResult

    private func handler(for action: Action) -> Handler {
        switch action {
        case .taskCreate: TaskController.create
        case .taskGet: TaskController.lease
        case .taskUpdate: TaskController.finish
        case .tasksUpdate: TaskController.finishSeveral
        case .workerRegister: WorkerController.register
        case .workerHeartbeat: WorkerController.heartbeat
        case .workerDelete: WorkerController.delete
        case .interestCreate: QueueController.setInterests
        case .interestDelete: QueueController.clearInterests
        case .queueDelete: QueueController.delete
        case .status: statusController.status
        case .health: StatusController.health
        }
    }
}
