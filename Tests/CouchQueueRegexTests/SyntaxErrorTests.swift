import Testing

@testable import CouchQueueRegex

/// Refusals: everything RE2 refuses is refused, with a message that says what to change.
/// The accept/refuse decisions listed here were checked against RE2 itself.
@Suite struct SyntaxErrorTests {
    struct Refusal: CustomTestStringConvertible, Sendable {
        let pattern: String
        let message: String
        var testDescription: String { pattern }
    }

    static let unbalanced: [Refusal] = [
        .init(pattern: "(a", message: "missing closing ) for the group opened at offset 0"),
        .init(pattern: "a(b(c)", message: "missing closing ) for the group opened at offset 1"),
        .init(pattern: "a)", message: "unexpected ) at offset 1: there is no open group to close"),
        .init(pattern: "[a", message: "missing closing ] for the class opened at offset 0"),
        .init(pattern: "[]", message: "missing closing ]"),
        .init(pattern: "[a-", message: "missing closing ]"),
        .init(pattern: "(?i", message: "missing ) or : after the flags"),
        .init(pattern: #"a\"#, message: #"trailing \ at offset 1: write a literal backslash as \\"#),
    ]

    static let repetitions: [Refusal] = [
        .init(
            pattern: "a**", message: "bad repetition operator ** at offset 1: repetition operators cannot be stacked"),
        .init(pattern: "a*??", message: "bad repetition operator *??"),
        .init(pattern: "a{2}{3}", message: "bad repetition operator {2}{3}"),
        .init(pattern: "a{2}*", message: "bad repetition operator {2}*"),
        .init(pattern: "*a", message: "missing argument to repetition operator * at offset 0"),
        .init(pattern: "a|*", message: "missing argument to repetition operator *"),
        .init(pattern: "(*)", message: "missing argument to repetition operator *"),
        .init(pattern: "(?i)+", message: "missing argument to repetition operator +"),
        .init(pattern: #"\Q\E*"#, message: "missing argument to repetition operator *"),
        .init(pattern: "{2}", message: "missing argument to repetition operator {2}"),
        .init(pattern: "a{1001}", message: "invalid repetition size {1001} at offset 1: counts must be at most 1000"),
        .init(pattern: "a{0,1001}", message: "invalid repetition size {0,1001}"),
        .init(pattern: "a{2,1}", message: "invalid repetition size {2,1}"),
        .init(
            pattern: "(a{1000}){1000}",
            message: "invalid repetition size {1000} at offset 9: nested counts multiply to more than 1000"),
        .init(pattern: "(a{2}){501}", message: "nested counts multiply"),
        .init(pattern: "((a{10}){10}){11}", message: "nested counts multiply"),
    ]

    static let unsupportedPerlSyntax: [Refusal] = [
        .init(pattern: #"(a)\1"#, message: #"backreferences such as \1 are not supported (RE2 syntax) at offset 3"#),
        .init(pattern: #"\8"#, message: "backreferences such as \\8 are not supported"),
        .init(pattern: #"\18"#, message: "backreferences such as \\1 are not supported"),
        .init(pattern: #"(?P<n>a)\k<n>"#, message: "backreferences such as \\k are not supported"),
        .init(
            pattern: "(?P<n>a)(?P=n)",
            message: "named backreferences and recursion such as (?P= are not supported (RE2 syntax)"),
        .init(pattern: "(?=a)", message: "lookahead assertions such as (?= are not supported (RE2 syntax)"),
        .init(pattern: "a(?!b)", message: "lookahead assertions such as (?! are not supported"),
        .init(pattern: "(?<=a)b", message: "lookbehind assertions such as (?<= are not supported (RE2 syntax)"),
        .init(pattern: "(?<!a)b", message: "lookbehind assertions such as (?<! are not supported"),
        .init(pattern: "(?#note)a", message: "comments (?#…) are not supported"),
        .init(pattern: "(?x)a", message: "invalid or unsupported group syntax (?x at offset 0: RE2 allows (?:…)"),
        .init(pattern: "(?-)a", message: "missing flags after - in (?-) at offset 0: write e.g. (?-i)"),
        .init(pattern: "(?i-:a)", message: "missing flags after - in (?i-:"),
        .init(pattern: "(?--i)a", message: "invalid or unsupported group syntax (?--"),
        .init(pattern: "(?P<a-b>x)", message: "invalid group name in (?P<a-b> at offset 0: use letters, digits and _"),
        .init(pattern: "(?<>x)", message: "invalid group name"),
        .init(pattern: "(?P<name", message: "missing > after the group name"),
    ]

    static let badEscapesAndClasses: [Refusal] = [
        .init(pattern: #"\e"#, message: #"invalid escape sequence \e at offset 0"#),
        .init(pattern: #"\é"#, message: #"invalid escape sequence \é"#),
        .init(
            pattern: #"\Z"#, message: #"\Z is not supported (RE2 syntax) at offset 0: use \z for the end of the text"#),
        .init(pattern: #"\x4"#, message: "invalid escape sequence"),
        .init(pattern: #"\x{}"#, message: "invalid escape sequence"),
        .init(pattern: #"\x{110000}"#, message: #"up to \x{10FFFF}"#),
        .init(pattern: #"[\b]"#, message: #"invalid escape sequence \b"#),
        .init(pattern: #"[a-\d]"#, message: #"invalid escape sequence \d"#),
        .init(pattern: "[z-a]", message: "invalid character class range z-a at offset 1: the end is below the start"),
        .init(pattern: "[[:foo:]]", message: "unknown POSIX class [:foo:]"),
        .init(pattern: "[[:a]b:]]", message: "unknown POSIX class [:a]b:]"),
        .init(pattern: #"\pX"#, message: #"unknown Unicode class \pX"#),
        .init(pattern: #"\p{Cn}"#, message: "unknown Unicode class"),
        .init(pattern: #"\p{lu}"#, message: "unknown Unicode class"),
        .init(pattern: #"\p{Lu"#, message: "missing closing }"),
        .init(pattern: #"\p"#, message: #"\p without a class name at offset 0: write one such as \pL or \p{Lu}"#),
    ]

    /// RE2 accepts these; LinearRegex refuses them by design, saying so.
    static let refusedByDesign: [Refusal] = [
        .init(pattern: #"a\Cb"#, message: #"\C (any byte) is not supported at offset 1: use . to match any character"#),
        .init(pattern: #"\p{Greek}"#, message: #"script names such as \p{Greek} are not supported"#),
        .init(pattern: #"[\p{Latin}]"#, message: "are not supported"),
    ]

    @Test(arguments: unbalanced + repetitions + unsupportedPerlSyntax + badEscapesAndClasses + refusedByDesign)
    func refusesWithAnActionableMessage(_ refusal: Refusal) {
        expectRefused(refusal.pattern, saying: refusal.message)
    }

    /// Odd corners RE2 accepts, so LinearRegex must accept them too.
    @Test(arguments: [
        "a{", "a{,3}", "a{01}", "{", "}", "]", "x{0}", "()", "(|a)", "(?)", "(?i-i)a", "(?U)a*?", "^*", #"\b+"#,
        "a(?i)*", "a*(?i)*", "(?P<n>a)(?P<n>b)", "(?P<é>a)", "(?P<1a>a)", "(?<name>a)", #"\_"#, #"\~"#, "[]a]",
        "[^]a]", "[a-b-c]", "[[:alpha:]-z]", "[:alpha:]", "[[:]", #"\Qab"#, #"\Q\E"#, #"\pLu"#, #"\P{^Lu}"#,
        #"\p{Any}"#, #"\p{Cs}"#, #"[^\x00-\x{10FFFF}]"#, "(a{2}){500}", "a{1000}", "x{1000,}", "((a{10}){10}){10}",
        #"\12"#, #"\08"#, "a{2}?", "(?i:a)|(?s:.)",
    ])
    func acceptsWhatRE2Accepts(_ pattern: String) throws {
        _ = try LinearRegex(pattern)
    }

    @Test func refusesPatternsLongerThan4096Bytes() throws {
        _ = try LinearRegex(String(repeating: "a", count: 4096))
        expectRefused(
            String(repeating: "a", count: 4097), saying: "pattern is 4097 bytes long; the limit is 4096 bytes")
        // The limit counts UTF-8 bytes, not characters: é is two bytes.
        expectRefused(String(repeating: "é", count: 2049), saying: "4098 bytes long")
    }

    /// RE2 budgets memory (about 8 MiB) rather than instructions, so it accepts some of
    /// these; the cap keeps every program and its per-search scratch space small.
    @Test func refusesProgramsThatExpandPastTheInstructionLimit() throws {
        _ = try LinearRegex(String(repeating: "[a-z]{1000}", count: 19))
        expectRefused(
            String(repeating: "[a-z]{1000}", count: 21),
            saying: "pattern is too large: with its repetitions expanded it needs more than 20000 instructions")
        expectRefused("(abcdefghijklmnopqrstuvwxy){1000}", saying: "pattern is too large")
    }

    @Test func refusesNestingDeeperThan250Levels() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "a(", count: depth - 1) + "a" + String(repeating: ")", count: depth - 1)
        }
        _ = try LinearRegex(nested(250))
        expectRefused(nested(251), saying: "pattern nests too deeply at offset 751: the limit is 250 levels")
        // Parentheses alone add no depth: they do not survive parsing.
        _ = try LinearRegex(String(repeating: "(", count: 1000) + "a" + String(repeating: ")", count: 1000))
    }

    @Test func errorsAreEqualWhenTheirMessagesAreAndDescribeThemselves() {
        let first = #expect(throws: RegexSyntaxError.self) { try LinearRegex("(") }
        let second = #expect(throws: RegexSyntaxError.self) { try LinearRegex("(") }
        #expect(first == second)
        #expect(first?.description == first?.message)
        #expect(first != (#expect(throws: RegexSyntaxError.self) { try LinearRegex(")") }))
    }
}
