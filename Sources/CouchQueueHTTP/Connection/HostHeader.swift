import NIOHTTP1

/// The `Host` header as RFC 9112 (3.2) makes a server check it: an HTTP/1.1 request carries
/// exactly one, and no request carries several or one that is not `host[:port]`.
enum HostHeader {
    /// Why the request must be refused with `400`, or nil. Runs for every request: it reads
    /// the header fields in place, without gathering the `Host` values into an array.
    static func problem(_ head: HTTPRequestHead) -> String? {
        var host: String?
        for field in head.headers where field.name.isFieldName("host") {
            if host != nil { return "the request has more than one Host header" }
            host = field.value
        }
        guard let host else {
            let http1_1OrLater = head.version.major > 1 || head.version.minor >= 1
            return http1_1OrLater ? "an HTTP/1.1 request must have a Host header" : nil
        }
        var value = host
        let valid = value.withUTF8 { isHostAndPort($0[...]) }
        return valid ? nil : "the Host header is not a host name or address with an optional port"
    }

    /// RFC 3986's `host [ ":" port ]`: a bracketed IPv6 address, or a name or IPv4 address
    /// (possibly empty), then a port of at most 65535. Over the value's contiguous bytes: a
    /// `Substring`'s UTF-8 view checks its indices at every step, half a percent of a
    /// publish's CPU.
    private static func isHostAndPort(_ value: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var rest = value
        if rest.first == UInt8(ascii: "[") {
            guard let close = rest.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let address = rest[rest.index(after: rest.startIndex)..<close]
            guard !address.isEmpty, address.allSatisfy({ $0.isASCIIHexDigit || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { return false }
            rest = rest[rest.index(after: close)...]
        } else {
            let name = rest.prefix { $0 != UInt8(ascii: ":") }
            guard name.allSatisfy(isNameByte) else { return false }
            rest = rest[name.endIndex...]
        }
        guard let colon = rest.first else { return true }
        let port = rest.dropFirst()
        return colon == UInt8(ascii: ":") && port.count <= 5 && port.allSatisfy(\.isASCIIDigit)
            && port.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } <= 65535
    }

    /// RFC 3986's `reg-name` bytes: unreserved, sub-delims and `%` escapes.
    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || byte.isASCIIDigit || "-._~%!$&'()*+,;=".utf8.contains(byte)
    }
}
