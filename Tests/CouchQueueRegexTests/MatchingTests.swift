import Testing

@testable import CouchQueueRegex

/// What each construct matches. Searches are unanchored: a match anywhere counts.
@Suite struct MatchingTests {
    @Test func literalsMatchAnywhereInTheText() {
        expectMatches(
            "needle", ["needle", "a needle in a haystack", "needles"], not: ["needl", "NEEDLE", "n-e-e-d-l-e", ""])
    }

    @Test func theEmptyPatternMatchesEveryText() {
        expectMatches("", ["", "anything"])
        expectMatches("()", ["", "x"])
    }

    @Test func alternationMatchesAnyAlternative() {
        expectMatches("cat|dog|", ["", "x"])
        expectMatches("^(cat|dog)$", ["cat", "dog"], not: ["cow", "catdog", ""])
    }

    @Test func repetitionCountsAreExact() {
        expectMatches("^a{3}$", ["aaa"], not: ["aa", "aaaa"])
        expectMatches("^a{2,3}$", ["aa", "aaa"], not: ["a", "aaaa"])
        expectMatches("^a{2,}$", ["aa", String(repeating: "a", count: 50)], not: ["a"])
        expectMatches("^a{0}b$", ["b"], not: ["ab"])
        expectMatches(
            "^(ab){1000}$", [String(repeating: "ab", count: 1000)], not: [String(repeating: "ab", count: 999)])
        expectMatches("^a*$", ["", "aaa"], not: ["ab"])
        expectMatches("^a+$", ["a", "aaa"], not: [""])
        expectMatches("^a?$", ["", "a"], not: ["aa"])
    }

    @Test func lazyAndGreedyOperatorsAgreeOnWhetherTextMatches() throws {
        for (greedy, lazy) in [("a*b", "a*?b"), ("a+b", "a+?b"), ("a?b", "a??b"), ("a{1,3}b", "a{1,3}?b")] {
            let variants = try [greedy, lazy, "(?U)" + greedy].map { try LinearRegex($0) }
            for text in ["", "b", "ab", "aaab", "aaaa", "ba"] {
                #expect(Set(variants.map { $0.matches(text) }).count == 1, "\(greedy) on \(text)")
            }
        }
    }

    @Test func nestedAndEmptyRepetitionsTerminate() {
        expectMatches("^(a*)*$", ["", "aaa"], not: ["b"])
        expectMatches("^(a*|b)+$", ["abba", ""], not: ["c"])
        expectMatches("(?:)*x", ["x"], not: ["y"])
        expectMatches("^(a?){3}a{3}$", ["aaa", "aaaaaa"], not: ["aa", "aaaaaaa"])
    }

    @Test func dotMatchesAnyScalarButNewlineUnlessDotAll() {
        expectMatches("^a.c$", ["abc", "a.c", "aéc"], not: ["a\nc", "ac"])
        expectMatches("(?s)^a.c$", ["a\nc"])
        expectMatches("(?s:a.)c|a.d", ["a\nc"], not: ["a\nd"])
    }

    @Test func bracketClassesMatchRangesAndNegations() {
        expectMatches("^[a-cx]$", ["a", "b", "c", "x"], not: ["d", "A", "-"])
        expectMatches("^[^a-c]$", ["d", "\n", "é"], not: ["a", "b"])
        expectMatches("^[]]$", ["]"])
        expectMatches("^[a-]$", ["a", "-"], not: ["b"])
        expectMatches(#"^[\-\]\\]$"#, ["-", "]", "\\"], not: ["a"])
        expectMatches(#"^[\x{3B1}-\x{3C9}]+$"#, ["αβω"], not: ["ΑΒ", "ab"])
        expectMatches(#"[^\x00-\x{10FFFF}]"#, [], not: ["", "abc", "\u{10FFFF}"])
    }

    @Test func perlClassesAreASCIIAsInRE2() {
        expectMatches(#"^\d+$"#, ["0123456789"], not: ["١٢", "x"])
        expectMatches(#"^\w+$"#, ["az_AZ09"], not: ["é", "ß", "-"])
        expectMatches(#"^\s+$"#, [" \t\n\r\u{0C}"], not: ["\u{0B}", "\u{A0}", "\u{2003}"])
        expectMatches(#"^\D\W\S$"#, ["a!x"], not: ["1!x", "a_x", "a! "])
    }

    @Test func posixClassesMatchTheirASCIISets() {
        let expectations: [(String, String, String)] = [
            ("alnum", "aZ9", "_"), ("alpha", "aZ", "9"), ("ascii", "\u{7F}", "é"), ("blank", " \t", "\n"),
            ("cntrl", "\u{01}\u{7F}", " "), ("digit", "09", "a"), ("graph", "!~", " "), ("lower", "az", "A"),
            ("print", " ~", "\u{7F}"), ("punct", "!/:@[`{~", "a"), ("space", " \t\n\u{0B}\u{0C}\r", "a"),
            ("upper", "AZ", "a"), ("word", "a_9", "-"), ("xdigit", "09afAF", "g"),
        ]
        for (name, members, outsider) in expectations {
            expectMatches("^[[:\(name):]]+$", [members], not: [outsider])
            expectMatches("^[[:^\(name):]]+$", [outsider], not: [String(members.prefix(1))])
        }
    }

    @Test func escapesMatchTheScalarsTheyName() {
        expectMatches(#"\x41\x{1F600}\101\n"#, ["A😀A\n"], not: ["A😀A"])
        expectMatches(#"\Q.*+\E"#, ["a.*+b"], not: ["aaa"])
        expectMatches(#"\.\*\+\?\(\)\[\]\{\}\|\^\$\\"#, [#".*+?()[]{}|^$\"#])
    }

    @Test func braceTextThatIsNotACountMatchesLiterally() {
        expectMatches("a{,2}", ["a{,2}"], not: ["aa"])
        expectMatches("x{01}", ["x{01}"], not: ["x"])
    }

    @Test func flagsApplyFromWhereTheyAppearToTheEndOfTheirGroup() {
        expectMatches("a(?i)b|c", ["aB", "C"], not: ["Ab"])
        expectMatches("(a(?i)b)c", ["aBc"], not: ["aBC"])
        expectMatches("(?i:a)b", ["Ab"], not: ["AB"])
        expectMatches("(?i)a(?-i)b", ["Ab"], not: ["AB"])
    }
}
