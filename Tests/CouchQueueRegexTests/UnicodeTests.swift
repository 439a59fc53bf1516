import Testing

@testable import CouchQueueRegex

/// Matching is over Unicode scalars: `.` is one scalar, classes hold scalars, and
/// `\p{…}` uses the Unicode general categories.
@Suite struct UnicodeTests {
    @Test func dotMatchesOneScalarNotOneGraphemeCluster() {
        let decomposed = "e\u{301}"  // é as e plus a combining acute accent: two scalars
        expectMatches("^.$", ["é", "😀", "\u{10FFFF}"], not: [decomposed, "👍🏽"])
        expectMatches("^..$", [decomposed, "👍🏽"])
    }

    @Test func precomposedAndDecomposedFormsAreDifferentText() {
        expectMatches("é", ["café"], not: ["cafe\u{301}"])
        expectMatches("e", ["cafe\u{301}"], not: ["café"])
    }

    @Test func generalCategoriesMatchByCategory() {
        expectMatches(#"^\pL+$"#, ["aΣжあ"], not: ["1", "-", " "])
        expectMatches(#"^\p{Lu}+$"#, ["AΣЖ"], not: ["a", "σ"])
        expectMatches(#"^\p{Ll}$"#, ["σ", "ß"], not: ["Σ"])
        expectMatches(#"^\p{Lt}$"#, ["ǅ"], not: ["Ǆ", "ǆ"])
        expectMatches(#"^\p{Nd}+$"#, ["0١٢३"], not: ["Ⅻ"])
        expectMatches(#"^\pN$"#, ["Ⅻ", "½", "7"], not: ["x"])
        expectMatches(#"^\p{Zs}$"#, [" ", "\u{A0}", "\u{3000}"], not: ["\t"])
        expectMatches(#"^\pP+$"#, ["!¿«»—"], not: ["+"])
        expectMatches(#"^\pS+$"#, ["+€©"], not: ["!"])
        expectMatches(#"^\pM$"#, ["\u{301}"], not: ["e"])
        expectMatches(#"^\pC$"#, ["\u{00}", "\u{AD}", "\u{E000}"], not: ["a", "\u{378}"])
        expectMatches(#"^\p{Any}$"#, ["a", "\n", "\u{10FFFF}"], not: [""])
    }

    @Test func negatedCategoriesMatchEverythingElse() {
        expectMatches(#"^\PL$"#, ["1", "\n"], not: ["a"])
        expectMatches(#"^\p{^Lu}$"#, ["a"], not: ["A"])
        expectMatches(#"^\P{^Lu}$"#, ["A"], not: ["a"])
        expectMatches(#"^[^\pL\d]$"#, ["-"], not: ["a", "1"])
    }

    @Test func supplementaryPlaneScalarsAreSingleScalars() {
        expectMatches(#"^\x{1F600}{2}$"#, ["😀😀"], not: ["😀"])
        expectMatches("^[😀-😂]$", ["😁"], not: ["😃"])
    }
}
