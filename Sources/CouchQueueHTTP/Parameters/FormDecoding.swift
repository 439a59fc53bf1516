import Foundation

/// `application/x-www-form-urlencoded` text (and query strings): `+` is a space, `%XX` a byte.
enum FormDecoding {
    static func decode(_ text: String) throws(APIError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try unescape(parts[0])
            let value = parts.count > 1 ? try unescape(parts[1]) : ""
            result[name] = value
        }
        return result
    }

    private static func unescape(_ text: Substring) throws(APIError) -> String {
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) { return String(text) }
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        guard let decoded = spaced.removingPercentEncoding else {
            throw .badRequest(
                hasMalformedEscape(text)
                    ? "the form or query string has a malformed %-escape (% must be followed by two hex digits)"
                    : "the form or query string is not UTF-8 once its %-escapes are decoded")
        }
        return decoded
    }

    /// Whether a `%` is not followed by two hex digits: the other way decoding fails is bytes
    /// that are not UTF-8.
    private static func hasMalformedEscape(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.indices.contains { index in
            bytes[index] == UInt8(ascii: "%")
                && !(index + 2 < bytes.count && bytes[index + 1].isASCIIHexDigit && bytes[index + 2].isASCIIHexDigit)
        }
    }
}
