import Synchronization

/// Whether the client that made a request is still connected. The HTTP layer sets one for
/// each request (`current`, a task-local) and marks it gone when the connection closes; a
/// lease parked for that request then stops waiting, so that it takes no task for nobody, and
/// costly matching not yet begun is skipped (`CostlyMatching`). Nothing else reacts: work the
/// request began is finished and answered as usual.
public final class ClientPresence: Sendable {
    @TaskLocal public static var current: ClientPresence?

    private let state = Mutex<(gone: Bool, onLeave: (@Sendable () -> Void)?)>((false, nil))

    public init() {}

    /// The client has gone: runs what waits for that, once.
    public func leave() {
        let onLeave = state.withLock { state in
            state.gone = true
            defer { state.onLeave = nil }
            return state.onLeave
        }
        onLeave?()
    }

    var isGone: Bool { state.withLock { $0.gone } }

    /// Runs `action` when the client leaves, at once if it has; nil forgets an earlier one.
    func onLeave(_ action: (@Sendable () -> Void)?) {
        let gone = state.withLock { state in
            if !state.gone { state.onLeave = action }
            return state.gone
        }
        if gone { action?() }
    }
}
