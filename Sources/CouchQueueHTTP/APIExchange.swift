import HTTPTypes
import NIOCore

/// A request as the API reads it: its head and its whole body, already within the body limit.
public struct APIRequest: Sendable {
    public var head: HTTPRequest
    public var body: ByteBuffer

    public init(head: HTTPRequest, body: ByteBuffer) {
        self.head = head
        self.body = body
    }

    /// The path without its query string.
    var path: Substring {
        let target = head.path ?? "/"
        return target.firstIndex(of: "?").map { target[..<$0] } ?? target[...]
    }

    /// The query string without its `?`, if there is one.
    var query: Substring? {
        guard let target = head.path, let mark = target.firstIndex(of: "?") else { return nil }
        return target[target.index(after: mark)...]
    }
}

/// An answer of the API: a status and a JSON object, and a header some errors carry.
public struct APIResponse: Sendable {
    public let status: HTTPResponse.Status
    public let body: [UInt8]
    /// `Allow` on a `405` (RFC 9110, 15.5.6); `Accept-Encoding` on a `415` for a body's coding
    /// (15.5.16).
    public var header: HTTPField? = nil
}
