import CouchQueueModel
import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection that sends a request and waits for its answer. It is
/// much lighter than a general client (no pool, no streaming), so that at tens of thousands
/// of requests a second the benchmark measures the server rather than its own client.
struct BenchConnection: Sendable {
    struct Answer {
        let status: Int
        let body: ByteBuffer

        /// The body as JSON; throws unless the status is 2xx.
        func json() throws -> JSONValue {
            guard (200..<300).contains(status) else {
                throw BenchError("HTTP \(status): \(String(buffer: body).prefix(300))")
            }
            return try JSONValue.parse(body.readableBytesView, maxDepth: 64)
        }
    }

    private let channel: any Channel
    private let host: String

    static func connect(to url: String, on eventLoop: any EventLoop) async throws -> BenchConnection {
        guard let address = url.split(separator: "//").last?.split(separator: "/").first,
            let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...])
        else { throw BenchError("--url must look like http://HOST:PORT, not \(url)") }
        let host = String(address[..<colon]).trimmingCharacters(in: ["[", "]"])
        let channel = try await ClientBootstrap(group: eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ExchangeHandler())
                }
            }
            .connect(host: host, port: port).get()
        return BenchConnection(channel: channel, host: String(address))
    }

    /// Sends a request with an optional JSON body and waits for the whole answer.
    func send(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> Answer {
        var headers: HTTPHeaders = ["Host": host]
        var body: ByteBuffer?
        if let json {
            body = channel.allocator.buffer(string: json)
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(json.utf8.count))
        }
        let promise = channel.eventLoop.makePromise(of: Answer.self)
        let request = Exchange(head: HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers), body: body, answer: promise)
        channel.writeAndFlush(request, promise: nil)
        return try await promise.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }
}

/// A request and where its answer goes.
private struct Exchange: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer?
    let answer: EventLoopPromise<BenchConnection.Answer>
}

/// Writes each request and completes its promise with the answer, in order.
private final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting = CircularBuffer<EventLoopPromise<BenchConnection.Answer>>()
    private var status = 0
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        waiting.append(exchange.answer)
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            waiting.popFirst()?.succeed(BenchConnection.Answer(status: status, body: body))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(BenchError("the server closed the connection"))
        context.fireChannelInactive()
    }

    private func failAll(_ error: any Error) {
        while let answer = waiting.popFirst() { answer.fail(error) }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
