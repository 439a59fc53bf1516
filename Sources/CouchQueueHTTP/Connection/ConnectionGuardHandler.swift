import NIOCore
import NIOHTTP1

/// Closes connections that stall: a request must arrive in full within `idleTimeout` of the
/// connection opening or of the previous response (so neither idle keep-alive connections nor
/// headers sent a byte at a time hold a connection forever), and its body within
/// `bodyReadTimeout` of its headers.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let idleTimeout: TimeAmount
    private let bodyReadTimeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(_ options: HTTPOptions) {
        self.idleTimeout = .milliseconds(Int64(options.idleTimeout * 1000))
        self.bodyReadTimeout = .milliseconds(Int64(options.bodyReadTimeout * 1000))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(idleTimeout, context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(idleTimeout, context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(bodyReadTimeout, context)
        case .end: deadline?.cancel()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(idleTimeout, context) }
        context.write(data, promise: promise)
    }

    private func arm(_ timeout: TimeAmount, _ context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) { loopBoundContext.value.close(promise: nil) }
    }
}
