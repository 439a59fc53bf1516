// Temporary stand-in until the linear-time engine lands; replaced, not kept.
import Foundation
public struct LinearRegex: Sendable {
    public let pattern: String
    public init(_ pattern: String) throws(RegexSyntaxError) {
        self.pattern = pattern
        guard (try? NSRegularExpression(pattern: pattern)) != nil else { throw RegexSyntaxError(message: "bad pattern") }
    }
    public func matches(_ text: String) -> Bool {
        let re = try! NSRegularExpression(pattern: pattern)
        return re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
public struct RegexSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
