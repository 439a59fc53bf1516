/// Random RE2-syntax patterns from a grammar that covers the syntax LinearRegex supports,
/// plus random texts. Alphabets are small (mostly `a` and `b`, some case and Unicode
/// variety) so that random texts often match, and a share of patterns is deliberately
/// damaged so that refusals are compared too.
struct PatternGenerator {
    struct Pattern {
        var source = ""
        /// Uses syntax RE2 accepts but LinearRegex refuses by design (`\C`, script classes).
        var usesRefusedFeature = false
    }

    private var random: SeededGenerator

    init(seed: UInt64) {
        random = SeededGenerator(seed: seed)
    }

    private static let literals = [
        "a", "a", "a", "a", "b", "b", "b", "A", "B", "é", "É", "Σ", "σ", "ς", "k", "K", "\u{212A}", "ſ", "s", "1",
        "_", " ", "-", "\n", "]", "}", ",",
    ]
    private static let escapedLiterals = [
        "\\x61", "\\x{3A3}", "\\x{3c3}", "\\x{212A}", "\\141", "\\0", "\\n", "\\t", "\\.", "\\*", "\\(", "\\\\",
        "\\-", "\\ ", "\\_", "\\{", "\\a", "\\v", "\\x{10FFFF}",
    ]
    private static let perlClasses = ["\\d", "\\D", "\\w", "\\W", "\\s", "\\S"]
    private static let unicodeClasses = [
        "\\pL", "\\p{Lu}", "\\p{Ll}", "\\PL", "\\p{^Lu}", "\\P{^Ll}", "\\pN", "\\p{Any}", "\\PN", "\\pZ", "\\p{Zs}",
        "\\p{Lt}", "\\pP", "\\p{Nd}",
    ]
    private static let scriptClasses = ["\\p{Greek}", "\\p{Latin}"]
    private static let classItems = [
        "a", "b", "é", "Σ", "σ", "k", "K", "-", "\\]", "\\-", "^", "a-c", "a-z", "A-Z", "α-ω", "Α-Ω", "0-9", "\\d",
        "\\W", "\\s", "[:alpha:]", "[:^lower:]", "[:upper:]", "[:word:]", "[:space:]", "\\pL", "\\p{Lu}", "\\P{Ll}",
        "\\x{3A3}", "\\x61-\\x{3C9}", "\\n", "[", ".", "*", "ſ", "\\x{212A}",
    ]
    private static let assertions = ["^", "$", "\\A", "\\z", "\\b", "\\B"]
    private static let groupOpenings = ["(", "(", "(?:", "(?P<n>", "(?<m>", "(?i:", "(?s:", "(?m:", "(?i-s:", "(?U:"]
    private static let flagGroups = ["(?i)", "(?i)", "(?m)", "(?s)", "(?-i)", "(?U)", "(?is)", "(?i-m)", "(?)"]
    private static let quantifiers = [
        "*", "+", "?", "*?", "+?", "??", "{2}", "{0}", "{1,}", "{0,2}", "{1,3}", "{2,}?", "{3}", "{0,1}",
    ]
    private static let largeCounts = ["{1000}", "{1001}", "{999,1000}", "{0,1001}", "{400}"]
    /// Inserted at random to break patterns in the ways people (and RE2's tests) do.
    private static let damage = [
        "(", ")", "[", "]", "*", "+", "?", "{", "}", "{2}", "{1001}", "\\", "\\1", "(?=", "(?<!", "(?x)", "|",
        "\\8", "\\Z", "[z-a]", "[[:foo:]]", "(?P=n)", "\\x{110000}", "**", "\\pX", "(?i", "(?-)", "{2,1}", "\\C",
        "\\e", "(?P<a-b>", "[]", "\\Q", "\\E", "{,3}", "{01}", "(?<n>", "\\x4", "\\p{^}", "[[:alpha:]",
    ]
    /// Syntax characters and fragments for `tokenSoup()`.
    private static let soup = [
        "(", ")", "[", "]", "{", "}", "*", "+", "?", "|", "^", "$", "\\", ".", "-", ":", ",", "0", "1", "2", "7",
        "8", "a", "b", "p", "P", "d", "W", "s", "x", "Q", "E", "z", "A", "B", "C", "i", "m", "U", "L", "<", ">", "=",
        "!", "#", "_", " ", "é", "{1}", "{1,2}", "(?", "[:", ":]", "\\p{", "alpha", "Lu",
    ]
    private static let textPieces = [
        "a", "a", "a", "a", "b", "b", "b", "A", "B", "é", "É", "e\u{301}", "Σ", "σ", "ς", "k", "K", "\u{212A}", "ſ",
        "s", "S", "1", "9", " ", "\n", "_", "-", ".", "α", "ω", "ǅ", "!", "\t", "{", "*", "\\",
    ]

    mutating func pattern() -> Pattern {
        var pattern = Pattern()
        pattern.source = alternation(depth: 3, &pattern)
        if random.chance(0.15) {
            var scalars = Array(pattern.source.unicodeScalars)
            let inserted = random.pick(Self.damage)
            scalars.insert(contentsOf: inserted.unicodeScalars, at: Int.random(in: 0...scalars.count, using: &random))
            pattern.source = String(String.UnicodeScalarView(scalars))
            if inserted == "\\C" { pattern.usesRefusedFeature = true }
        }
        return pattern
    }

    /// Short strings of syntax characters thrown together, to compare RE2's accept/refuse
    /// decisions on the odd corners of the grammar that well-formed patterns never reach.
    mutating func tokenSoup() -> Pattern {
        let source = (0..<Int.random(in: 1...8, using: &random)).map { _ in random.pick(Self.soup) }.joined()
        return Pattern(source: source, usesRefusedFeature: source.contains("\\C"))
    }

    mutating func text() -> String {
        (0..<Int.random(in: 0...10, using: &random)).map { _ in random.pick(Self.textPieces) }.joined()
    }

    private mutating func alternation(depth: Int, _ pattern: inout Pattern) -> String {
        let count = random.pick([1, 1, 1, 1, 2, 2, 3])
        return (0..<count).map { _ in concatenation(depth: depth, &pattern) }.joined(separator: "|")
    }

    private mutating func concatenation(depth: Int, _ pattern: inout Pattern) -> String {
        let count = random.pick([0, 1, 1, 2, 2, 3, 3, 4])
        return (0..<count).map { _ in piece(depth: depth, &pattern) }.joined()
    }

    private mutating func piece(depth: Int, _ pattern: inout Pattern) -> String {
        let isGroup = depth > 0 && random.chance(0.18)
        let atom = isGroup ? group(depth: depth, &pattern) : self.atom(&pattern)
        if !isGroup, random.chance(0.02) { return atom + random.pick(Self.largeCounts) }
        return random.chance(0.3) ? atom + random.pick(Self.quantifiers) : atom
    }

    private mutating func group(depth: Int, _ pattern: inout Pattern) -> String {
        random.pick(Self.groupOpenings) + alternation(depth: depth - 1, &pattern) + ")"
    }

    private mutating func atom(_ pattern: inout Pattern) -> String {
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<40: return random.pick(Self.literals)
        case 40..<46: return random.pick(Self.escapedLiterals)
        case 46..<52: return "."
        case 52..<66: return bracketClass()
        case 66..<72: return random.pick(Self.perlClasses)
        case 72..<78: return random.pick(Self.unicodeClasses)
        case 78..<79:
            pattern.usesRefusedFeature = true
            return random.pick(Self.scriptClasses)
        case 79..<89: return random.pick(Self.assertions)
        case 89..<96: return random.pick(Self.flagGroups)
        case 96..<98: return quotedText()
        default: return "()"
        }
    }

    /// `\Q…\E` around a few characters that would otherwise be operators.
    private mutating func quotedText() -> String {
        let quoted = (0..<Int.random(in: 0...3, using: &random)).map { _ in random.pick(["a", ".", "*", "b", "\\"]) }
        return "\\Q" + quoted.joined() + "\\E"
    }

    private mutating func bracketClass() -> String {
        let items = (0..<Int.random(in: 1...3, using: &random)).map { _ in random.pick(Self.classItems) }
        let first = random.chance(0.05) ? "]" : ""
        return "[" + (random.chance(0.3) ? "^" : "") + first + items.joined() + "]"
    }
}
