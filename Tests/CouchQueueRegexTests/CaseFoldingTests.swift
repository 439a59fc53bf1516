import Testing

@testable import CouchQueueRegex

/// `(?i)` uses simple Unicode case folding, as RE2 does: every scalar matches the others
/// in its fold orbit, and nothing else.
@Suite struct CaseFoldingTests {
    @Test func asciiLettersMatchEitherCase() {
        expectMatches("(?i)hello", ["HeLLo", "hello"], not: ["he11o"])
        expectMatches("(?i)[a-c]", ["B"], not: ["D"])
    }

    @Test func foldOrbitsIncludeScalarsBeyondSimpleUpperAndLower() {
        expectMatches("(?i)k", ["K", "k", "\u{212A}"])  // KELVIN SIGN
        expectMatches("(?i)s", ["S", "ſ"])  // LATIN SMALL LETTER LONG S
        expectMatches("(?i)σ", ["Σ", "ς"])  // final sigma
        expectMatches("(?i)ǅ", ["Ǆ", "ǆ"])  // titlecase digraph
        expectMatches("(?i)ß", ["ẞ"], not: ["ss", "SS"])  // simple folding only: no multi-scalar forms
        expectMatches("(?i)µ", ["μ", "Μ"])  // MICRO SIGN folds to Greek mu
        expectMatches("(?i)\u{390}", ["\u{1FD3}"])
    }

    @Test func dottedAndDotlessTurkishIStayApart() {
        expectMatches("(?i)i", ["I"], not: ["ı", "İ"])
        expectMatches("(?i)ı", ["ı"], not: ["i", "I"])
        expectMatches("(?i)İ", ["İ"], not: ["i", "I"])
    }

    @Test func caseInsensitiveClassesFoldEachItemThenNegate() {
        expectMatches("(?i)[k]", ["\u{212A}"])
        expectMatches("(?i)[^k]", ["x"], not: ["K", "\u{212A}"])
        expectMatches(#"(?i)\p{Lu}"#, ["a", "A"], not: ["1"])
        expectMatches("(?i)[[:upper:]]", ["a"])
        expectMatches(#"(?i)\w"#, ["ſ", "\u{212A}"])
        expectMatches(#"(?i)\W"#, ["!"], not: ["ſ", "\u{212A}", "k"])
    }

    @Test func caseInsensitivityDoesNotChangeDigitsOrPunctuation() {
        expectMatches("(?i)1-2", ["1-2"], not: ["1_2"])
    }
}
