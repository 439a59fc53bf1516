import NIOCore

/// Counts what the connection reads before the HTTP decoder parses it (`ConnectionHeldBytes`):
/// thousands of heads arriving slowly, each up to the head limit, hold memory in the decoder
/// for the idle timeout. Passes nothing on once the count has closed the connection.
final class ReadBytesCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let held: ConnectionHeldBytes

    init(_ held: ConnectionHeldBytes) {
        self.held = held
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        held.read(unwrapInboundIn(data).readableBytes)
        guard context.channel.isActive else { return }
        context.fireChannelRead(data)
    }
}
