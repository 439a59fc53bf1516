import NIOCore
import NIOHTTP1

/// What one connection holds of requests and answers, in its account with `ConnectionMemory`:
/// the bytes read and not yet parsed (a head still arriving, up to the head limit); a
/// request's head and body from their parsing until its answer is written; and the bytes of
/// answers that the kernel has not taken, as last seen. Kept on the connection's event loop
/// by the handlers on either side of the HTTP decoder (`ReadBytesCounter` before it, the
/// connection guard after it).
final class ConnectionHeldBytes {
    private let account: ConnectionMemory.Account
    /// Read since the decoder last parsed a part.
    private var unparsed = 0
    /// Each request received in full and not yet answered, oldest first.
    private var unanswered = CircularBuffer<Int>(initialCapacity: 4)
    /// The request being received.
    private var receiving = 0
    private var unsent = 0

    init(_ account: ConnectionMemory.Account) {
        self.account = account
    }

    /// Requests received in full and not yet answered (pipelined ones wait behind the first).
    var unansweredRequests: Int { unanswered.count }

    func read(_ bytes: Int) {
        unparsed += bytes
        account.change(by: bytes, progress: true)
    }

    /// A part parsed: what was read before it counts as parsed. The rest of a read that
    /// followed the part goes uncounted until the next read, at most one read's worth.
    func received(_ part: HTTPServerRequestPart) {
        let bytes = part.heldBytes
        if case .end = part {
            unanswered.append(receiving)
            receiving = 0
        } else {
            receiving += bytes
        }
        account.change(by: bytes - unparsed, progress: false)
        unparsed = 0
    }

    /// A whole answer was written: its request is given back. A refusal may come before its
    /// request has arrived in full, and gives back what has.
    func answerWritten() {
        let request: Int
        if let oldest = unanswered.popFirst() {
            request = oldest
        } else {
            (request, receiving) = (receiving, 0)
        }
        account.change(by: -request, progress: false)
    }

    /// What the kernel has not taken of the answers written, as the channel says now.
    func unsentNow(_ bytes: Int) {
        account.change(by: bytes - unsent, progress: bytes < unsent)
        unsent = bytes
    }

    func connectionClosed() {
        account.connectionClosed()
    }
}

extension HTTPServerRequestPart {
    /// About the memory the part takes once parsed: a head's target and fields, a body's bytes.
    var heldBytes: Int {
        switch self {
        case .head(let head): head.headers.reduce(head.uri.utf8.count) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        case .body(let chunk): chunk.readableBytes
        case .end: 0
        }
    }
}
