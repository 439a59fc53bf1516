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
            throw .badRequest("the form or query string has a malformed %-escape")
        }
        return decoded
    }
}
