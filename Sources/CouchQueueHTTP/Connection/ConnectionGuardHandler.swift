import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes connections that stall or that must not be read further:
/// - a request must arrive in full within `idleTimeout` of the connection opening or of the
///   previous response (so neither idle keep-alive connections nor headers sent a byte at a
///   time hold a connection forever), and its body within `bodyReadTimeout` of its headers;
/// - after a response that says `Connection: close` (a refused body left unread), the
///   connection is closed instead of the rest of the body being read.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let idleTimeout: TimeAmount
    private let bodyReadTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var closeAfterResponse = false

    init(idleTimeout: TimeAmount, bodyReadTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
        self.bodyReadTimeout = bodyReadTimeout
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
        let part = unwrapOutboundIn(data)
        if case .head(let head) = part, head.headerFields[.connection]?.lowercased() == "close" {
            closeAfterResponse = true
        }
        guard case .end = part else {
            context.write(data, promise: promise)
            return
        }
        if closeAfterResponse {
            let written = promise ?? context.eventLoop.makePromise()
            context.write(data, promise: written)
            let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in loopBoundContext.value.close(promise: nil) }
        } else {
            context.write(data, promise: promise)
            arm(idleTimeout, context)
        }
    }

    private func arm(_ timeout: TimeAmount, _ context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) { loopBoundContext.value.close(promise: nil) }
    }
}

/// Builds the handler for each new connection.
public enum ConnectionGuard {
    public static func handlers(_ options: HTTPOptions) -> [any RemovableChannelHandler] {
        [ConnectionGuardHandler(
            idleTimeout: .milliseconds(Int64(options.idleTimeout * 1000)),
            bodyReadTimeout: .milliseconds(Int64(options.bodyReadTimeout * 1000)))]
    }
}
