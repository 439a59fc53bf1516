import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// How Hummingbird's server sets up and serves each connection: NIO's HTTP/1.1 request
/// decoder, with the connection's account of memory (`ConnectionHeldBytes`) kept on either
/// side of it, the connection guard, and the API served in the pipeline, which writes its
/// answers as bytes.
public struct APIChannel: ServerChildChannel {
    public struct Value: ServerChildChannelValue {
        public let channel: any Channel
    }

    let responder: APIResponder
    let options: HTTPOptions
    private let executors = EventLoopTaskExecutors()
    private let memory: ConnectionMemory

    public init(responder: APIResponder, options: HTTPOptions, logger: Logger) {
        self.responder = responder
        self.options = options
        self.memory = ConnectionMemory(limit: options.connectionMemory, logger: logger)
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: APIConnectionHandler.headLimits)
            // Given back when the guard is removed, as the connection closes.
            let held = ConnectionHeldBytes(memory.open { [channel] in channel.close(promise: nil) })
            do {
                try pipeline.addHandler(ReadBytesCounter(held))
                try pipeline.addHandler(ByteToMessageHandler(decoder))
                try pipeline.addHandler(ConnectionGuardHandler(options, held: held))
            } catch {
                held.connectionClosed()
                throw error
            }
            try pipeline.addHandler(
                APIConnectionHandler(responder: responder, bodyLimit: options.bodyLimit, executor: executors.executor(for: channel.eventLoop)))
            return Value(channel: channel)
        }
    }

    /// The connection is served by its pipeline; this waits for it to close.
    public func handle(value: Value, logger: Logger) async {
        await withTaskCancellationHandler {
            try? await value.channel.closeFuture.get()
        } onCancel: {
            value.channel.close(promise: nil)
        }
    }
}
