import NIOHTTP1

/// The `Host` header as RFC 9112 (3.2) makes a server check it: an HTTP/1.1 request carries
/// exactly one, and no request carries several or one that is not `host[:port]`.
enum HostHeader {
    /// Why the request must be refused with `400`, or nil.
    static func problem(_ head: HTTPRequestHead) -> String? {
        let values = head.headers["host"]
        guard let value = values.first else {
            let http1_1OrLater = head.version.major > 1 || head.version.minor >= 1
            return http1_1OrLater ? "an HTTP/1.1 request must have a Host header" : nil
        }
        if values.count > 1 { return "the request has more than one Host header" }
        return isHostAndPort(Substring(value)) ? nil : "the Host header is not a host name or address with an optional port"
    }

    /// RFC 3986's `host [ ":" port ]`: a bracketed IPv6 address, or a name or IPv4 address
    /// (possibly empty), then a port of at most 65535.
    private static func isHostAndPort(_ value: Substring) -> Bool {
        var rest = value
        if rest.first == "[" {
            guard let close = rest.firstIndex(of: "]") else { return false }
            let address = rest[rest.index(after: rest.startIndex)..<close]
            guard !address.isEmpty, address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            rest = rest[rest.index(after: close)...]
        } else {
            let name = rest.prefix { $0 != ":" }
            guard name.utf8.allSatisfy(isNameByte) else { return false }
            rest = rest[name.endIndex...]
        }
        guard !rest.isEmpty else { return true }
        let port = rest.dropFirst()
        return rest.first == ":" && port.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            && (port.isEmpty || (port.count <= 5 && Int(port)! <= 65535))
    }

    /// RFC 3986's `reg-name` bytes: unreserved, sub-delims and `%` escapes.
    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "-._~%!$&'()*+,;=".utf8.contains(byte)
        }
    }
}
