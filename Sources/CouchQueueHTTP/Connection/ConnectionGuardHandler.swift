import NIOCore
import NIOHTTP1

/// Closes connections that stall: a request must arrive in full within `idleTimeout` of the
/// connection opening or of the previous response (so neither idle keep-alive connections nor
/// headers sent a byte at a time hold a connection forever), and its body within
/// `bodyReadTimeout` of its headers; a client must read what it is sent within `idleTimeout`:
/// an answer may wait that long to be taken by the kernel, counted from when it was written or
/// the one before it was taken. No other deadline runs while requests that have arrived are
/// being answered.
///
/// The reading deadline and the writing one are kept apart, and the writing one does not rely
/// on counting requests: requests arriving behind answers the client does not read, or that
/// will not be answered (behind a closing answer), must not lift it, or the connection, which
/// then reads nothing more, would be held open for good.
///
/// It also keeps the connection's account of memory (`ConnectionHeldBytes`), and passes on
/// nothing more once that has closed the connection.
///
/// Requests move a deadline, not the timer: one timer fires at the earliest deadline and,
/// if the deadline moved on meanwhile, sets itself again for it. Only a deadline earlier than
/// the timer's (a body's, after an idle wait) sets the timer anew.
final class ConnectionGuardHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let idleTimeout: TimeAmount
    private let bodyReadTimeout: TimeAmount
    /// When the request being read, or the next one, must have arrived.
    private var readDeadline = NIODeadline.distantFuture
    /// When the oldest answer not yet taken by the kernel must have been.
    private var writeDeadline = NIODeadline.distantFuture
    /// Writes not yet taken by the kernel.
    private var pendingWrites = 0
    private var deadline: NIODeadline { min(readDeadline, writeDeadline) }
    private let held: ConnectionHeldBytes
    /// Requests received in full and not yet answered (pipelined ones wait behind the first).
    private var unanswered: Int { held.unansweredRequests }
    private var timer: (fires: NIODeadline, task: Scheduled<Void>)?
    /// Looks again at what the kernel has taken while answers wait for it (`countUnsent`).
    private var unsentWatch: RepeatedTask?

    init(_ options: HTTPOptions, held: ConnectionHeldBytes) {
        self.held = held
        self.idleTimeout = .milliseconds(Int64(options.idleTimeout * 1000))
        self.bodyReadTimeout = .milliseconds(Int64(options.bodyReadTimeout * 1000))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(idleTimeout, context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.task.cancel()
        unsentWatch?.cancel()
        held.connectionClosed()
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(idleTimeout, context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head: arm(bodyReadTimeout, context)
        case .end: readDeadline = .distantFuture
        case .body: break
        }
        held.received(part)
        // Closed past the memory limit, just now: what the decoder still parses is not served.
        guard context.channel.isActive else { return }
        context.fireChannelRead(data)
    }

    /// Every write but a `100 Continue` is a whole response. After the last one due, the next
    /// request (or the body a `100 Continue` asked for) has the idle timeout.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if unwrapOutboundIn(data) != ResponseBytes.continueInterim { held.answerWritten() }
        pendingWrites += 1
        if pendingWrites == 1 { writeDeadline = .now() + idleTimeout }
        if unanswered == 0 { arm(idleTimeout, context) } else { setTimer(context) }
        let written = promise ?? context.eventLoop.makePromise()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in
            let (guardHandler, context) = loopBound.value
            guardHandler.pendingWrites -= 1
            guardHandler.countUnsent(context)
            guardHandler.writeDeadline = guardHandler.pendingWrites == 0 ? .distantFuture : .now() + guardHandler.idleTimeout
            if context.channel.isActive { guardHandler.setTimer(context) }
        }
        context.write(data, promise: written)
    }

    func flush(context: ChannelHandlerContext) {
        context.flush()
        countUnsent(context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        countUnsent(context)
        context.fireChannelWritabilityChanged()
    }

    /// The answers' bytes the kernel has not taken: the flush wrote what it could. Nothing,
    /// without asking the channel, once every write has completed: so a client that reads
    /// its answers costs nothing to count. While some wait, this looks again every 50 ms:
    /// NIO tells nothing of a write taken in part, and a client reading a large answer
    /// steadily must be seen to, not taken for one that stalled.
    private func countUnsent(_ context: ChannelHandlerContext) {
        let unsent = pendingWrites == 0 ? 0 : (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        held.unsentNow(unsent)
        if unsent == 0 {
            unsentWatch?.cancel()
            unsentWatch = nil
        } else if unsentWatch == nil {
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            unsentWatch = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(50), delay: .milliseconds(50)) { _ in
                let (guardHandler, context) = loopBound.value
                guardHandler.countUnsent(context)
            }
        }
    }

    private func arm(_ timeout: TimeAmount, _ context: ChannelHandlerContext) {
        readDeadline = .now() + timeout
        setTimer(context)
    }

    /// Sets the timer for the earliest deadline, unless it fires by then already.
    private func setTimer(_ context: ChannelHandlerContext) {
        if let timer, timer.fires <= deadline { return }
        if deadline == .distantFuture { return }
        timer?.task.cancel()
        schedule(context)
    }

    private func schedule(_ context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let fires = deadline
        timer = (fires, context.eventLoop.scheduleTask(deadline: fires) {
            let (guardHandler, context) = loopBound.value
            guardHandler.timer = nil
            if guardHandler.deadline <= .now() {
                context.close(promise: nil)
            } else if guardHandler.deadline != .distantFuture {
                guardHandler.schedule(context)
            }
        })
    }
}
