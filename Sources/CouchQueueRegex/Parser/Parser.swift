/// Parses RE2 syntax into a `Node`, accepting what RE2 accepts and refusing what it refuses
/// (the few exceptions are listed on `LinearRegex`).
///
/// Shaped like RE2's own parser: one loop over the pattern and an explicit stack of open
/// groups instead of recursion, so deeply parenthesised patterns cannot exhaust the call
/// stack, and so quirks such as `a(?i)*` (the `*` applies to `a`) fall out the same way.
struct Parser {
    static let maxPatternBytes = 4096
    /// The deepest syntax tree accepted, as Rust's regex does by default (RE2 has no limit).
    /// It bounds what recursion remains (freeing the tree, the prefix analysis), so even a
    /// thread with a small stack can compile any pattern.
    static let maxNesting = 250

    /// Flags in force; `(?U)` is accepted but not kept, since greediness cannot change
    /// whether a pattern matches.
    struct Flags {
        var caseInsensitive = false
        var multiline = false
        var dotAll = false
    }

    /// A parsed piece with the two measures that RE2's limits are checked against.
    struct Term {
        var node: Node
        /// Height of the syntax tree, checked against `maxNesting`.
        var height = 1
        /// Largest product of `{n,m}` counts along any path, checked against `maxRepeat`.
        var countProduct = 1
    }

    /// An open group: the alternatives seen so far and the pieces of the current one.
    struct Group {
        let openOffset: Int
        /// Flags to restore at `)`, since flags set inside a group end with it.
        let savedFlags: Flags
        var alternatives: [Term] = []
        var items: [Term] = []
    }

    let scalars: [Unicode.Scalar]
    var position = 0
    var flags = Flags()
    /// `groups[0]` is the whole pattern; it is never closed by `)`.
    var groups = [Group(openOffset: 0, savedFlags: Flags())]
    /// Where the previous token began if it was a repetition operator, to refuse `a**`.
    var previousRepetitionStart: Int?

    static func parse(_ pattern: String) throws(RegexSyntaxError) -> Node {
        let length = pattern.utf8.count
        guard length <= maxPatternBytes else {
            throw RegexSyntaxError("pattern is \(length) bytes long; the limit is \(maxPatternBytes) bytes")
        }
        var parser = Parser(scalars: Array(pattern.unicodeScalars))
        return try parser.parseAll()
    }

    private init(scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    private mutating func parseAll() throws(RegexSyntaxError) -> Node {
        while position < scalars.count {
            let start = position
            let isRepetition = try parseToken()
            previousRepetitionStart = isRepetition ? start : nil
        }
        if groups.count > 1 {
            throw error("missing closing ) for the group opened", at: groups[groups.count - 1].openOffset)
        }
        return try finishGroup().node
    }

    /// Parses one token at `position`; returns whether it was a repetition operator.
    private mutating func parseToken() throws(RegexSyntaxError) -> Bool {
        let scalar = scalars[position]
        switch scalar {
        case "(":
            try parseGroupOpening()
        case ")":
            try closeGroup()
        case "|":
            try finishAlternative()
            position += 1
        case "^":
            push(.assertion(flags.multiline ? .beginLine : .beginText))
            position += 1
        case "$":
            push(.assertion(flags.multiline ? .endLine : .endText))
            position += 1
        case ".":
            push(.set(flags.dotAll ? .all : .allButNewline))
            position += 1
        case "[":
            push(.set(try parseBracketClass()))
        case "*", "+", "?", "{":
            return try parseRepetition()
        case "\\":
            try parseEscape()
        default:
            pushLiteral(scalar.value)
            position += 1
        }
        return false
    }

    // MARK: - Building terms

    mutating func push(_ node: Node) {
        groups[groups.count - 1].items.append(Term(node: node))
    }

    /// Pushes a literal, widened to its case variants under `(?i)`.
    mutating func pushLiteral(_ scalar: UInt32) {
        let set = ScalarSet(scalar)
        push(.set(flags.caseInsensitive ? set.caseFolded() : set))
    }

    /// `|`: the pieces parsed so far become one alternative of the innermost group.
    private mutating func finishAlternative() throws(RegexSyntaxError) {
        let group = groups[groups.count - 1]
        let alternative = try combine(group.items, into: Node.concatenation)
        groups[groups.count - 1].alternatives.append(alternative)
        groups[groups.count - 1].items = []
    }

    private mutating func finishGroup() throws(RegexSyntaxError) -> Term {
        try finishAlternative()
        let group = groups.removeLast()
        flags = group.savedFlags
        return try combine(group.alternatives, into: Node.alternation)
    }

    private mutating func closeGroup() throws(RegexSyntaxError) {
        guard groups.count > 1 else {
            throw error("unexpected )", at: position, hint: "there is no open group to close")
        }
        let term = try finishGroup()
        groups[groups.count - 1].items.append(term)
        position += 1
    }

    mutating func openGroup(savingFlags saved: Flags, at offset: Int) {
        groups.append(Group(openOffset: offset, savedFlags: saved))
    }

    /// One term for a sequence or a choice of terms: none is `empty`, one is itself.
    private func combine(_ terms: [Term], into build: ([Node]) -> Node) throws(RegexSyntaxError) -> Term {
        switch terms.count {
        case 0: return Term(node: .empty)
        case 1: return terms[0]
        default:
            let combined = Term(
                node: build(terms.map(\.node)),
                height: 1 + terms.map(\.height).max()!,
                countProduct: terms.map(\.countProduct).max()!
            )
            try checkNesting(combined)
            return combined
        }
    }

    func checkNesting(_ term: Term) throws(RegexSyntaxError) {
        guard term.height <= Self.maxNesting else {
            throw error("pattern nests too deeply", at: position, hint: "the limit is \(Self.maxNesting) levels")
        }
    }

    // MARK: - Reading the pattern

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let index = position + offset
        return index < scalars.count ? scalars[index] : nil
    }

    /// The pattern text in `range`, for error messages.
    func text(_ range: Range<Int>) -> String {
        var result = ""
        result.unicodeScalars.append(contentsOf: scalars[range.clamped(to: 0..<scalars.count)])
        return result
    }

    /// An error naming the problem, where in the pattern (in Unicode scalars) it is, and
    /// what to do about it when that is not obvious.
    func error(_ problem: String, at offset: Int, hint: String? = nil) -> RegexSyntaxError {
        RegexSyntaxError("\(problem) at offset \(offset)" + (hint.map { ": \($0)" } ?? ""))
    }
}
