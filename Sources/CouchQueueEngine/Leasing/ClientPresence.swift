import Synchronization

/// Whether the client that made a request is still connected. The HTTP layer sets one for
/// each request (`current`, a task-local) and marks it gone when the connection closes, or
/// its sending side; a lease parked for that request then stops waiting, so that it takes no
/// task for nobody, costly matching not yet begun is skipped (`CostlyMatching`), and a status
/// waiting for memory stops waiting. Once the connection has closed (`disconnect`), no lease
/// is begun for the request either. Nothing else reacts: work the request began is finished
/// and answered as usual.
public final class ClientPresence: Sendable {
    @TaskLocal public static var current: ClientPresence?

    private struct State {
        var gone = false
        var disconnected = false
        var onLeave: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

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

    /// The connection has closed: the client has gone, and no answer can reach it.
    public func disconnect() {
        state.withLock { $0.disconnected = true }
        leave()
    }

    var isGone: Bool { state.withLock { $0.gone } }
    var isDisconnected: Bool { state.withLock { $0.disconnected } }

    /// Runs `action` when the client leaves, at once if it has; nil forgets an earlier one.
    public func onLeave(_ action: (@Sendable () -> Void)?) {
        let gone = state.withLock { state in
            if !state.gone { state.onLeave = action }
            return state.gone
        }
        if gone { action?() }
    }
}
