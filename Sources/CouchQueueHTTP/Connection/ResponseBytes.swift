import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// A response as it goes on the wire. Every answer of the API has the same few headers, so
/// it is written in one buffer rather than through a general header encoder.
enum ResponseBytes {
    static func make(
        _ response: APIResponse, version: HTTPVersion, closing: Bool, withBody: Bool, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 160 + response.body.count)
        // Piece by piece: an interpolated line longer than 15 bytes is a String on the heap.
        if version == .http1_1 {
            buffer.writeStaticString("HTTP/1.1 ")
        } else {
            buffer.writeString("HTTP/\(version.major).\(version.minor) ")
        }
        buffer.writeString(String(response.status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(response.status.reasonPhrase)
        buffer.writeStaticString("\r\nContent-Type: application/json\r\nContent-Length: ")
        buffer.writeString(String(response.body.count))
        buffer.writeStaticString("\r\nServer: couchqueue\r\n")
        buffer.writeBytes(HTTPDate.header())
        if let header = response.header { buffer.writeString("\(header.name): \(header.value)\r\n") }
        if closing {
            buffer.writeStaticString("Connection: close\r\n")
        } else if version == .http1_0 {
            buffer.writeStaticString("Connection: keep-alive\r\n")  // HTTP/1.0 closes unless told otherwise
        }
        buffer.writeStaticString("\r\n")
        if withBody { buffer.writeBytes(response.body) }
        return buffer
    }

    static let continueInterim = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")
}

/// The `Date` header, formatted once a second rather than once a response.
enum HTTPDate {
    private static let cache = Mutex((second: 0, header: [UInt8]()))

    static func header() -> [UInt8] {
        let now = time(nil)
        return cache.withLock { cache in
            if cache.second != now {
                var moment = tm()
                gmtime_r([now], &moment)
                var text = [CChar](repeating: 0, count: 64)
                let length = strftime(&text, text.count, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &moment)
                cache = (now, text[..<length].map { UInt8(bitPattern: $0) })
            }
            return cache.header
        }
    }
}
