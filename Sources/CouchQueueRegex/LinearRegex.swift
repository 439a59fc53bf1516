/// A compiled RE2-syntax pattern, matched in time linear in the input.
///
/// The syntax is RE2's (Go's `regexp`, Rust's `regex`), matched over Unicode scalars as an
/// unanchored search, by a Pike VM: no backtracking, so no pattern can make a match slow.
/// Refused at compile time, with a message saying why: whatever RE2 refuses
/// (backreferences, lookaround, `a**`, counts above 1000, …), plus `\C` (any byte) and
/// script classes such as `\p{Greek}`, which RE2 accepts; patterns over 4096 bytes, over
/// 20,000 instructions once repetitions are expanded, or nested over 250 levels deep.
///
/// A class: routing hands patterns around by the thousand, and a copy of a struct retained
/// each of the compiled program's arrays.
public final class LinearRegex: Sendable {
    public let pattern: String
    let program: Program

    public init(_ pattern: String) throws(RegexSyntaxError) {
        program = try Compiler.compile(Parser.parse(pattern))
        self.pattern = pattern
    }

    /// Unanchored search: true when the pattern matches somewhere in `text`.
    public func matches(_ text: String) -> Bool {
        search(text).matched
    }

    /// What the compiled program holds in memory, in units of about 8 bytes: its
    /// instructions and its sets' ranges above ASCII (`\pL` is 2 instructions and 1,300 ranges).
    public var size: Int {
        program.instructions.count + program.sets.reduce(0) { $0 + $1.rangeCount } + (program.firstScalars?.rangeCount ?? 0)
    }

    /// At most how many VM steps a search of a text of `utf8Count` bytes takes, so that a
    /// caller can refuse work too large to do within one request. Linear in the text, with
    /// the program's size as the factor (a literal is a substring search).
    public func workBound(utf8Count: Int) -> Int {
        program.isLiteral ? utf8Count : 2 * program.instructions.count * (utf8Count + 1)
    }

    /// The search along with the VM's step count, which tests use to show linear work.
    func search(_ text: String) -> (matched: Bool, steps: Int) {
        PikeVM(program: program).search(text)
    }
}
