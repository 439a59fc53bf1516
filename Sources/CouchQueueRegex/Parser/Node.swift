/// Zero-width conditions on the text around a position.
///
/// An option set so the VM can compute one mask per position and test each assertion
/// instruction with a single `&`.
struct Assertion: OptionSet, Hashable, Sendable {
    let rawValue: UInt8

    /// `\A`, or `^` without `(?m)`.
    static let beginText = Assertion(rawValue: 1 << 0)
    /// `\z`, or `$` without `(?m)` (RE2's `$` does not match before a final newline).
    static let endText = Assertion(rawValue: 1 << 1)
    /// `^` under `(?m)`: at the start of the text or just after `\n`.
    static let beginLine = Assertion(rawValue: 1 << 2)
    /// `$` under `(?m)`: at the end of the text or just before `\n`.
    static let endLine = Assertion(rawValue: 1 << 3)
    /// `\b`: between an ASCII word scalar and a non-word scalar (or an end of the text).
    static let wordBoundary = Assertion(rawValue: 1 << 4)
    /// `\B`: anywhere `\b` does not hold.
    static let notWordBoundary = Assertion(rawValue: 1 << 5)
}

/// The parsed pattern, reduced to what decides match versus no match.
///
/// Capture groups, names and greediness do not change whether a pattern matches, so the
/// parser drops them; flags are already applied (a case-insensitive literal is the set of
/// its case variants, `.` is the set it stands for).
indirect enum Node: Equatable, Sendable {
    /// Matches the empty string, e.g. `()` or an empty alternative.
    case empty
    /// Consumes one scalar from the set; a literal is a one-element set.
    case set(ScalarSet)
    case assertion(Assertion)
    case concatenation([Node])
    case alternation([Node])
    /// `min` to `max` copies of the node; `max` is nil when unbounded (`*`, `+`, `{n,}`).
    case repetition(Node, min: Int, max: Int?)
}
