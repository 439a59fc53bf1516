import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// A request as the API reads it: its method, target, header fields and whole body, already
/// within the body limit.
///
/// The head stays NIO's: converting each request to `HTTPTypes.HTTPRequest` copied and checked
/// every header field and parsed the target with `URLComponents`, about a tenth of a publish's
/// time on the event loop; a request reads only a few fields.
public struct APIRequest: Sendable {
    public let method: HTTPRequest.Method
    /// The path and query, as `HTTPRequest.path` has them: an absolute-form target's scheme
    /// and authority are taken off.
    public let target: String
    public let headers: HTTPHeaders
    public var body: ByteBuffer

    /// Throws when the method is not a valid HTTP token.
    public init(head: HTTPRequestHead, body: ByteBuffer) throws {
        self.headers = head.headers
        self.body = body
        if let method = Self.commonMethod(head.method), head.uri.utf8.first == UInt8(ascii: "/") {
            (self.method, self.target) = (method, head.uri)
        } else {  // rare: let HTTPTypes read the method and the target as it would
            let converted = try HTTPRequest(head, secure: false, splitCookie: false)
            (self.method, self.target) = (converted.method, converted.path ?? "/")
        }
    }

    private static func commonMethod(_ method: HTTPMethod) -> HTTPRequest.Method? {
        switch method {
        case .GET: .get
        case .PUT: .put
        case .POST: .post
        case .DELETE: .delete
        case .HEAD: .head
        default: nil
        }
    }

    /// A header field's value, or its values joined by `, ` when it is repeated, as
    /// `HTTPFields` reads them; nil when absent. `name` is in lower case.
    func field(_ name: String) -> String? {
        headers.joinedValues(name)
    }

    /// The `Host` field's value: `HostHeader` refuses a head with several, or with none but
    /// in HTTP/1.0.
    var authority: String? {
        headers.first(name: "host")
    }

    /// The path without its query string.
    var path: Substring {
        queryMark.map { target[..<$0] } ?? target[...]
    }

    /// The query string without its `?`, if there is one.
    var query: Substring? {
        guard let mark = queryMark else { return nil }
        return target[target.utf8.index(after: mark)...]
    }

    /// Found among the bytes: the characters' search breaks the text into graphemes.
    private var queryMark: String.Index? {
        target.utf8.firstIndex(of: UInt8(ascii: "?"))
    }
}

/// An answer of the API: a status and a JSON object, and a header some errors carry.
public struct APIResponse: Sendable {
    public let status: HTTPResponse.Status
    public let body: [UInt8]
    /// `Allow` on a `405` (RFC 9110, 15.5.6); `Accept-Encoding` on a `415` for a body's coding
    /// (15.5.16).
    public var header: HTTPField? = nil
    /// Memory the answer holds from a budget (`MemoryBudget`), given back once it is written.
    var reservation: MemoryBudget.Reservation? = nil
}
