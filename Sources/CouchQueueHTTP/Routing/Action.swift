import HTTPTypes

/// Every operation of the API, by its action name. Each answers on its route and, for
/// action-style clients, on `/api/ACTION` and `/api?action=ACTION`.
enum Action: String, CaseIterable, Sendable {
    case taskCreate, taskGet, taskUpdate, tasksUpdate
    case workerRegister, workerHeartbeat, workerDelete
    case interestCreate, interestDelete
    case queueDelete
    case status
    case health

    /// The route's own method and path.
    var route: (method: HTTPRequest.Method, path: String) {
        switch self {
        case .taskCreate: (.put, "/task")
        case .taskGet: (.get, "/task")
        case .taskUpdate: (.post, "/task")
        case .tasksUpdate: (.post, "/tasks")
        case .workerRegister: (.put, "/worker")
        case .workerHeartbeat: (.post, "/worker")
        case .workerDelete: (.delete, "/worker")
        case .interestCreate: (.put, "/interest")
        case .interestDelete: (.delete, "/interest")
        case .queueDelete: (.delete, "/queue")
        case .status: (.get, "/status")
        case .health: (.get, "/health")
        }
    }

    /// Reads change nothing, so cross-site requests may make them.
    var changesState: Bool {
        self != .status && self != .health
    }

    /// Under an action name: the route's own method or POST; GET only for reads and leases,
    /// HEAD only for reads.
    func acceptsUnderActionName(_ method: HTTPRequest.Method) -> Bool {
        methodsUnderActionName.contains(method)
    }

    var methodsUnderActionName: [HTTPRequest.Method] {
        switch self {
        case .status, .health: [.get, .head, .post]
        case .taskGet: [.get, .post]
        default: route.method == .post ? [.post] : [route.method, .post]
        }
    }

    /// A route's few actions in a list, not a dictionary: looking one up by method hashed
    /// the method's name, twice a request.
    private static let byRoute: [String: [Action]] = Dictionary(grouping: allCases, by: { $0.route.path })

    /// How a request names its action.
    enum Resolution {
        case action(Action)
        /// `/api?action=…`: the name is a parameter, read with the body.
        case actionParameter
    }

    /// Resolves a path and method, or throws the contract's 404 / 405. `HEAD` is answered as
    /// `GET` where that only reads (`/status`, `/health`), without the body.
    static func resolve(method: HTTPRequest.Method, path: Substring) throws(APIError) -> Resolution {
        if path == "/api" {
            return .actionParameter
        }
        if path.hasPrefix("/api/") {
            return .action(try named(String(path.dropFirst(5)), method: method))
        }
        guard let actions = byRoute[String(path)] else {
            throw APIError(.notFound, "not_found", "no route \(path.prefix(200)); see the API reference")
        }
        if let action = actions.first(where: { $0.route.method == method }) {
            return .action(action)
        }
        let readForHead = actions.first { $0.route.method == .get && !$0.changesState }
        if method == .head, let readForHead {
            return .action(readForHead)
        }
        var allowed = actions.map(\.route.method).sorted { $0.rawValue < $1.rawValue }
        if readForHead != nil { allowed.append(.head) }
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        throw .methodNotAllowed("\(path) answers \(names), not \(method.rawValue)", allowed: allowed)
    }

    /// The action called `name`, if it accepts `method` under its name.
    static func named(_ name: String, method: HTTPRequest.Method) throws(APIError) -> Action {
        guard let action = Action(rawValue: name) else {
            throw APIError(.notFound, "unknown_action", "no action is named \"\(name.prefix(100))\"")
        }
        guard action.acceptsUnderActionName(method) else {
            let allowed = action.methodsUnderActionName
            throw .methodNotAllowed(
                "action \(name) answers \(allowed.map(\.rawValue).joined(separator: ", ")), not \(method.rawValue)", allowed: allowed)
        }
        return action
    }
}
