import CouchQueueEngine
import NIOHTTP1

/// Hands a connection's requests, one at a time and in order, to the one task that serves
/// them all (`APIConnectionHandler`). A task per request cost its creation, the memory its
/// async frames need and its teardown on every request; the connection's task keeps them
/// from one request to the next, and waits between requests. Used on the connection's event
/// loop only.
final class ConnectionRequests {
    /// A request received in full, and what its answer needs.
    struct Request: Sendable {
        let head: HTTPRequestHead
        let request: APIRequest
        let client: ClientPresence
    }

    private enum Server {
        /// No task yet, or it ended once the connection closed.
        case none
        case serving
        case waiting(UnsafeContinuation<Request?, Never>)
    }

    private var server = Server.none
    /// A request the task has not taken yet: the first, before the task begins, or one
    /// pipelined behind the one being answered.
    private var queued: Request?
    private var closed = false

    var hasWaiting: Bool { queued != nil }

    /// Passes `request` to the connection's task. False when there is none: the caller
    /// starts one, which takes it.
    func hand(_ request: Request) -> Bool {
        switch server {
        case .none:
            server = .serving
            queued = request
            return false
        case .serving:
            precondition(queued == nil, "a connection's requests are answered one at a time")
            queued = request
        case .waiting(let task):
            server = .serving
            task.resume(returning: request)
        }
        return true
    }

    /// The task's wait for its next request: `task` is resumed with it, or with nil once the
    /// connection has closed (the task then ends).
    func next(_ task: UnsafeContinuation<Request?, Never>) {
        if let queued {
            self.queued = nil
            task.resume(returning: queued)
        } else if closed {
            server = .none
            task.resume(returning: nil)
        } else {
            server = .waiting(task)
        }
    }

    /// The connection has closed: a task waiting for a request ends. One answering a request
    /// still answers it, and any request already received in full, as before the close.
    func close() {
        closed = true
        if case .waiting(let task) = server {
            server = .none
            task.resume(returning: nil)
        }
    }
}
