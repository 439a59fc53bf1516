import Testing

@testable import CouchQueueRegex

/// `^ $ \A \z \b \B`, with and without `(?m)`, as RE2 defines them.
@Suite struct AnchorTests {
    @Test func caretAndDollarMatchOnlyAtTheEndsOfTheText() {
        expectMatches("^ab$", ["ab"], not: ["xab", "abx", "ab\n", "\nab"])
        // Unlike Perl and Python, RE2's $ does not match before a final newline.
        expectMatches("a$", ["ba"], not: ["a\n"])
        expectMatches(#"\Aab\z"#, ["ab"], not: ["ab\n", "\nab"])
        expectMatches("^", ["", "x"])
        expectMatches("$", ["", "x"])
    }

    @Test func multilineCaretAndDollarAlsoMatchAtLineBreaks() {
        expectMatches("(?m)^b$", ["a\nb\nc", "b", "a\nb"], not: ["ab\nc", "a\nbc"])
        expectMatches("(?m)^$", ["", "a\n\nb", "a\n"], not: ["a"])
        // \A and \z ignore (?m).
        expectMatches(#"(?m)\Ab"#, ["b\na"], not: ["a\nb"])
        expectMatches(#"(?m)a\z"#, ["b\na"], not: ["a\nb"])
        // A carriage return is not a line break in RE2.
        expectMatches("(?m)^b", ["a\nb"], not: ["a\rb"])
    }

    @Test func wordBoundariesUseASCIIWordCharacters() {
        expectMatches(#"\bcat\b"#, ["cat", "a cat!", "(cat)"], not: ["concat", "cats", "cat_"])
        expectMatches(#"\Bat\B"#, ["cats"], not: ["at", "cat"])
        // é is not a word character for \b in RE2, so there is no boundary between é and !.
        expectMatches(#"\bé"#, ["aé"], not: ["é", "!é"])
        expectMatches(#"^\b$"#, [], not: [""])
        expectMatches(#"^\B$"#, [""])
    }

    @Test func anchoredPatternsFailFastButStillMatchAtTheStart() {
        let regex = try? LinearRegex("^ab")
        #expect(regex?.matches("abc") == true)
        let long = "x" + String(repeating: "ab", count: 10_000)
        #expect(regex?.matches(long) == false)
        #expect((regex?.search(long).steps ?? .max) < 10)
    }
}
