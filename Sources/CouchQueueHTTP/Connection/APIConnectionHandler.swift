import CouchQueueEngine
import NIOCore
import NIOHTTP1

/// Serves the API on one HTTP/1.1 connection, inside the channel pipeline: it gathers a
/// request's body within the limit, runs the responder and writes its answer. No stream or
/// task sits between the socket and the responder but the connection's one task, which runs
/// its requests in turn (`ConnectionRequests`).
///
/// - A body over the limit is refused with 413 as soon as its `Content-Length` (or, chunked,
///   its first byte over the limit) arrives; the rest is not read and the connection is closed.
/// - Requests pipelined behind one in progress wait in order; past `bodyLimit` bytes (heads
///   and bodies) or `maxPipelinedParts` parts of them, the socket is no longer read until
///   they are served.
/// - Requests pipelined behind one are served only while the client reads its answers (the
///   channel is writable): one that only sends would otherwise pile answers up in memory.
/// - On graceful shutdown (`ChannelShouldQuiesceEvent`), a connection closes once the answers
///   it was written have been sent, unless a request is being answered, and then after its
///   answer; nothing more is read, and requests pipelined behind it are not served.
/// - What does not parse as HTTP is answered `400` (a head past `headLimits`, `431`) and the
///   connection closed, after the answers to the requests before it.
/// - A request without exactly one valid `Host` (`HostHeader`) is refused with 400 as soon as
///   its head arrives, as one whose body is over the limit is.
/// - A request to switch protocols (`Connection: upgrade`, `CONNECT`) is the connection's
///   last: the decoder parses nothing after its end, so nothing more is read; it is answered
///   and the connection closed.
/// - A client that closes its sending side (half-close) is answered what it sent in full, and
///   then the connection is closed: nothing more can arrive.
/// - Answers are written as bytes (`ResponseBytes`); `Expect: 100-continue` is answered at once,
///   or, when the head alone decides a refusal, with the refusal once the read that brought
///   the head is done and the connection closed, as for a body over the limit; unless the
///   body has begun to arrive by then, or the request was pipelined (`refusalAwaitingBody`).
final class APIConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    private enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer)
        case responding
        /// The request was refused before its body was read: the rest is ignored until the close.
        case refused

        var isResponding: Bool {
            if case .responding = self { true } else { false }
        }
    }

    /// How large a request's head may be: NIO's defaults, named so that a `431` can say them.
    static let headLimits = NIOHTTPDecoderLimitConfiguration()

    private let responder: APIResponder
    private let bodyLimit: Int
    /// Where the connection's task runs: its event loop.
    private let executor: EventLoopTaskExecutor
    /// Passes each request to the connection's task.
    private let requests = ConnectionRequests()
    private var state = State.idle
    private var pipelined = CircularBuffer<HTTPServerRequestPart>()
    private var pipelinedBytes = 0
    private var heldRead = false
    private var quiescing = false
    /// The client of the request being answered, marked gone when the connection closes.
    private var client: ClientPresence?
    /// Nothing after the request being served will parse: an upgrade, or broken HTTP.
    private var lastRequest: LastRequest?
    /// The request being read asks to switch protocols: it is the last once it has ended.
    private var readingUpgrade = false
    /// The client closed its sending side: once what it sent is answered, the connection closes.
    private var inputClosed = false
    /// The refusal of a request that expects `100 Continue`, decided from its head: sent
    /// once the read that brought the head is done, unless the body has begun to arrive by
    /// then (the client sends it without waiting, and is answered as without `Expect`: a
    /// refusal and a close with its body unread would reach it as a reset).
    private var refusalAwaitingBody: APIResponse?

    private enum LastRequest: Equatable {
        case upgrade
        /// `oversizedHead`: the request's URL and headers passed `headLimits`.
        case followedByBrokenHTTP(oversizedHead: Bool)
    }

    init(responder: APIResponder, bodyLimit: Int, executor: EventLoopTaskExecutor) {
        self.responder = responder
        self.bodyLimit = bodyLimit
        self.executor = executor
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head): readingUpgrade = Self.switchesProtocols(head)
        case .end where readingUpgrade: lastRequest = .upgrade
        default: break
        }
        if quiescing, !state.isResponding { return }  // closing: nothing more is served
        if state.isResponding || !pipelined.isEmpty {
            pipelined.append(part)
            pipelinedBytes += part.heldBytes
        } else {
            handle(part, context: context)
        }
    }

    private static let maxPipelinedParts = 256

    private var pipelineIsFull: Bool {
        pipelinedBytes > bodyLimit || pipelined.count > Self.maxPipelinedParts
    }

    /// Sends `refusalAwaitingBody` once the read that brought its head is done and nothing
    /// more has arrived: the client waits.
    func channelReadComplete(context: ChannelHandlerContext) {
        if let refusal = refusalAwaitingBody, case .receiving(let head, _) = state {
            refusalAwaitingBody = nil
            refuse(refusal, head: head, context: context)
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if pipelineIsFull || lastRequest != nil || quiescing || !context.channel.isWritable {
            heldRead = true
        } else {
            context.read()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        let oversizedHead = error == .headerOverflow
        switch state {
        case .responding,  // answer what came before it first
            .idle where !pipelined.isEmpty:
            lastRequest = lastRequest ?? .followedByBrokenHTTP(oversizedHead: oversizedHead)
        case .idle, .receiving:
            refuseBrokenHTTP(oversizedHead: oversizedHead, context: context)
        case .refused:
            closeAfterWrites(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client closed its side: as Go's servers do, take it as gone.
        if case .inputClosed? = event as? ChannelEvent {
            inputClosed = true
            client?.leave()
            closeIfAllAnswered(context: context)
        }
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        quiescing = true
        if !state.isResponding { closeAfterWrites(context: context) }
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        if case .body(var chunk) = part, case .receiving(let head, var body) = state {
            guard body.readableBytes + chunk.readableBytes <= bodyLimit else {
                return refuse(tooLarge, head: head, context: context)
            }
            refusalAwaitingBody = nil
            // `body` is then the buffer's only holder, appended to in place: a copy of `state`
            // kept while appending (a `switch` over the pair of part and state keeps one)
            // copied the whole body for every chunk, quadratic in a body sent in tiny chunks.
            state = .responding
            body.writeBuffer(&chunk)
            state = .receiving(head, body)
            return
        }
        switch (part, state) {
        case (.head(let head), .idle):
            if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > bodyLimit {
                return refuse(tooLarge, head: head, context: context)
            }
            if let problem = HostHeader.problem(head) { return refuse(.badRequest(problem), head: head, context: context) }
            if let coding = Self.unknownTransferCoding(head) { return refuse(notImplemented(coding), head: head, context: context) }
            // An HTTP/1.0 client cannot read an interim answer (RFC 9110, 10.1.1).
            if head.version != .http1_0, head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                if let request = try? APIRequest(head: head, body: ByteBuffer()), let refusal = responder.refusal(beforeBodyOf: request) {
                    refusalAwaitingBody = refusal
                } else {
                    context.writeAndFlush(wrapOutboundOut(ResponseBytes.continueInterim), promise: nil)
                }
            }
            state = .receiving(head, context.channel.allocator.buffer(capacity: 0))
        case (.end, .receiving(let head, let body)):
            refusalAwaitingBody = nil
            state = .responding
            respond(to: head, body: body, context: context)
        case (_, .refused):
            break
        default:
            // The HTTP decoder hands over head, body, end in order: anything else is a broken peer.
            context.close(promise: nil)
        }
    }

    private func respond(to head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let request: APIRequest
        do {
            request = try APIRequest(head: head, body: body)
        } catch {
            return refuse(.badRequest("the request head is not valid HTTP"), head: head, context: context)
        }
        let client = ClientPresence()
        self.client = client
        if !requests.hand(ConnectionRequests.Request(head: head, request: request, client: client)) { serve(context: context) }
    }

    /// Starts the connection's task, which serves its requests one after the other as
    /// `requests` hands them over, until the connection closes. Nothing of a request outlives
    /// its answer: an idle connection holds neither its last request's body nor its answer.
    private func serve(context: ChannelHandlerContext) {
        let (responder, executor) = (self.responder, self.executor)
        let handler = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        Task(executorPreference: executor) {
            while true {
                // A request that was waiting (pipelined, or the first) takes its turn behind
                // the loop's other jobs, as a task of its own would.
                if handler.value.0.requests.hasWaiting { await Task.yield() }
                guard let received = await withUnsafeContinuation({ handler.value.0.requests.next($0) }) else { return }
                let response = await ClientPresence.$current.withValue(received.client) {
                    await responder.respond(to: received.request)
                }
                // On the event loop, where the task runs (`EventLoopTaskExecutor`).
                let (connection, context) = handler.value
                connection.client = nil
                connection.answered(response, for: received.head, context: context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        client?.disconnect()
        requests.close()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        requests.close()
    }

    /// Writes the answer, then serves the requests pipelined behind it.
    private func answered(_ response: APIResponse, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        let closing = !head.isKeepAlive || quiescing || (pipelined.isEmpty && (lastRequest == .upgrade || inputClosed))
        write(response, for: head, closing: closing, context: context)
        guard !closing else { return }
        state = .idle
        servePipelined(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            if case .idle = state { servePipelined(context: context) } else { resumeReading(context: context) }
        }
        context.fireChannelWritabilityChanged()
    }

    /// Once the client has read enough of what was written (`channelWritabilityChanged`).
    private func servePipelined(context: ChannelHandlerContext) {
        guard context.channel.isWritable, !quiescing else { return }
        while let part = pipelined.popFirst() {
            pipelinedBytes -= part.heldBytes
            handle(part, context: context)
            if state.isResponding { break }
        }
        // A client that pipelines a request does not wait for `100 Continue` before its body,
        // which may be on its way: it is read, as without `Expect`, and the refusal follows.
        if refusalAwaitingBody != nil {
            refusalAwaitingBody = nil
            context.writeAndFlush(wrapOutboundOut(ResponseBytes.continueInterim), promise: nil)
        }
        // The broken part may be a request begun in the pipeline: it will never end.
        switch (lastRequest, state) {
        case (.followedByBrokenHTTP(let oversizedHead)?, .idle), (.followedByBrokenHTTP(let oversizedHead)?, .receiving):
            return refuseBrokenHTTP(oversizedHead: oversizedHead, context: context)
        default: break
        }
        resumeReading(context: context)
        closeIfAllAnswered(context: context)
    }

    /// Passes on the read `read(context:)` held back, once nothing holds it back any more. A
    /// request being received (its body held back while the channel was not writable) needs it
    /// as much as one to come.
    private func resumeReading(context: ChannelHandlerContext) {
        guard heldRead, !pipelineIsFull, lastRequest == nil, !quiescing, context.channel.isWritable else { return }
        heldRead = false
        context.read()
    }

    /// After a half-close, once every request received in full is answered: what is left can
    /// never complete.
    private func closeIfAllAnswered(context: ChannelHandlerContext) {
        guard inputClosed, !state.isResponding, pipelined.isEmpty else { return }
        if case .refused = state { return }  // closes once its refusal is written
        closeAfterWrites(context: context)
    }

    /// Closes behind the answers still being written (an empty write completes after them),
    /// which a close would drop.
    private func closeAfterWrites(context: ChannelHandlerContext) {
        let context = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.value.writeAndFlush(wrapOutboundOut(context.value.channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            context.value.close(promise: nil)
        }
    }

    private func refuse(_ error: APIError, head: HTTPRequestHead, context: ChannelHandlerContext) {
        refuse(error.response, head: head, context: context)
    }

    private func refuse(_ response: APIResponse, head: HTTPRequestHead, context: ChannelHandlerContext) {
        state = .refused
        write(response, for: head, closing: true, context: context)
    }

    /// A transfer coding other than `chunked` before a final `chunked`: the decoder removes
    /// only that one, so a body sent `gzip, chunked` would be read compressed (RFC 9112, 6.1,
    /// asks for a 501). A list that does not end in `chunked` is left to the decoder, which
    /// refuses it as broken HTTP (400, as 6.3 asks); empty list elements count for nothing.
    private static func unknownTransferCoding(_ head: HTTPRequestHead) -> Substring? {
        let codings = head.headers[canonicalForm: "transfer-encoding"].filter { !$0.isEmpty }
        guard codings.last?.lowercased() == "chunked" else { return nil }
        return codings.first { $0.lowercased() != "chunked" }
    }

    private func notImplemented(_ coding: Substring) -> APIError {
        APIError(
            .notImplemented, "unsupported_transfer_coding",
            "a body with Transfer-Encoding \(coding.prefix(100)) is not supported: send it chunked alone, or with a Content-Length")
    }

    /// As the HTTP decoder (llhttp) decides it: after such a request it stops parsing.
    private static func switchesProtocols(_ head: HTTPRequestHead) -> Bool {
        head.method == .CONNECT
            || (head.headers.contains(name: "upgrade")
                && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" })
    }

    private func refuseBrokenHTTP(oversizedHead: Bool, context: ChannelHandlerContext) {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
        refuse(oversizedHead ? headTooLarge : .badRequest("the request is not valid HTTP/1.1"), head: head, context: context)
    }

    private func write(_ response: APIResponse, for request: HTTPRequestHead, closing: Bool, context: ChannelHandlerContext) {
        let bytes = ResponseBytes.make(
            response, version: request.version, closing: closing, withBody: request.method != .HEAD,
            allocator: context.channel.allocator)
        let written = context.writeAndFlush(wrapOutboundOut(bytes))
        if let reservation = response.reservation {
            written.whenComplete { _ in reservation.release() }
        }
        if closing {
            let context = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.whenComplete { _ in context.value.close(promise: nil) }
        }
    }

    private var tooLarge: APIError {
        APIError(.contentTooLarge, "payload_too_large", "the request body is larger than the limit of \(bodyLimit) bytes")
    }

    private var headTooLarge: APIError {
        APIError(
            .requestHeaderFieldsTooLarge, "header_too_large",
            "the request's URL and header fields are larger than the limit of \(Self.headLimits.maxHeaderListSize / 1024) KiB, "
                + "or more than \(Self.headLimits.maxHeaderFieldCount) fields")
    }
}
