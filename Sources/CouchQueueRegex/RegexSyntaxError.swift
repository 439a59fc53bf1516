/// Why a pattern was refused: RE2 would refuse it, it uses syntax this engine leaves out,
/// or it is too large to run in bounded memory.
public struct RegexSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A sentence a person can act on, e.g. "missing closing ) for the group opened at offset 3".
    public let message: String

    public var description: String { message }

    init(_ message: String) {
        self.message = message
    }
}
