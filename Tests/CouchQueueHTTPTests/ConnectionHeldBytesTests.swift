@testable import CouchQueueHTTP
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// A connection's account, kept on either side of the HTTP decoder as in `APIChannel`.
@Suite struct ConnectionHeldBytesTests {
    /// The parts the API would be handed.
    private final class Recorder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        var parts: [String] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): parts.append("head \(head.uri)")
            case .body(let chunk): parts.append("body \(chunk.readableBytes)")
            case .end: parts.append("end")
            }
        }
    }

    private func connection(limit: Int) throws -> (EmbeddedChannel, ConnectionMemory, Recorder) {
        let memory = ConnectionMemory(limit: limit, logger: Logger(label: "test"))
        let channel = EmbeddedChannel()
        let held = ConnectionHeldBytes(memory.open { [channel] in channel.close(promise: nil) })
        let recorder = Recorder()
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(ReadBytesCounter(held))
        try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
        try pipeline.addHandler(ConnectionGuardHandler(HTTPOptions(), held: held))
        try pipeline.addHandler(recorder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, memory, recorder)
    }

    private func read(_ text: String, on channel: EmbeddedChannel) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    @Test func aRequestHoldsItsHeadAndBodyUntilItsAnswerIsWritten() throws {
        let (channel, memory, recorder) = try connection(limit: 1 << 20)
        try read("PUT /task HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n" + String(repeating: "a", count: 500), on: channel)
        #expect(recorder.parts == ["head /task", "body 500", "end"])
        let head = memory.held
        #expect(head > 500 && head < 600)
        try channel.writeAndFlush(ByteBuffer(string: "HTTP/1.1 201 Created\r\n\r\n")).wait()
        #expect(memory.held == 0)  // the embedded channel's kernel takes everything at once
        _ = try channel.finish()
    }

    /// The read that passes the limit closes the connection; what the decoder parses of it, or
    /// of reads after it, is not handed on, so no request is served for a client cut off.
    @Test func aConnectionClosedPastTheLimitHandsNothingMoreOn() throws {
        let (channel, memory, recorder) = try connection(limit: 1000)
        try read("PUT /task HTTP/1.1\r\nHost: x\r\nContent-Length: 1200\r\n\r\n" + String(repeating: "a", count: 500), on: channel)
        #expect(recorder.parts == ["head /task", "body 500"])
        // The decoder, told of the close, reports the body it will never have in full.
        #expect(throws: HTTPParserError.invalidEOFState) { try read(String(repeating: "a", count: 700), on: channel) }
        #expect(!channel.isActive && memory.closed == 1)
        #expect(recorder.parts == ["head /task", "body 500"])
        channel.embeddedEventLoop.run()  // the pipeline's handlers are removed after the close
        #expect(memory.held == 0)
    }

    /// A head arriving slowly holds the decoder's buffer until it is complete.
    @Test func aHeadStillArrivingIsCounted() throws {
        let (channel, memory, recorder) = try connection(limit: 1 << 20)
        try read("GET /health HTTP/1.1\r\nX-Pad: " + String(repeating: "a", count: 5000), on: channel)
        #expect(recorder.parts.isEmpty && memory.held > 5000)
        try read("\r\nHost: x\r\n\r\n", on: channel)
        #expect(recorder.parts == ["head /health", "end"])
        #expect(memory.held > 5000 && memory.held < 5200)  // the head, now parsed
        _ = try channel.finish()
    }
}
