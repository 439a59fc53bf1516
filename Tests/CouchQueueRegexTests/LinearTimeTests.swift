import Testing

@testable import CouchQueueRegex

/// Patterns that take exponential time in backtracking engines take linear work here.
/// Work is measured by the VM's step count, not by the clock, so the tests are exact
/// and deterministic.
@Suite struct LinearTimeTests {
    struct Workload: CustomTestStringConvertible, Sendable {
        let pattern: String
        let prefix: String
        let unit: String
        let suffix: String
        /// Text length at which to measure; the work is measured again at twice the length.
        let repeats: Int

        var testDescription: String { pattern }

        func text(_ count: Int) -> String {
            prefix + String(repeating: unit, count: count) + suffix
        }
    }

    static let pathological: [Workload] = [
        .init(pattern: "(a+)+$", prefix: "", unit: "a", suffix: "!", repeats: 100_000),
        .init(pattern: "(x+x+)+y", prefix: "", unit: "x", suffix: "", repeats: 50_000),
        .init(pattern: "^(a|aa)*b", prefix: "", unit: "a", suffix: "", repeats: 50_000),
        .init(pattern: "(a|aa)+b", prefix: "", unit: "a", suffix: "", repeats: 50_000),
        .init(pattern: "(.*a){20}", prefix: String(repeating: "a", count: 19), unit: "b", suffix: "", repeats: 10_000),
        .init(
            pattern: "b(a?){25}a{25}", prefix: "", unit: "b" + String(repeating: "a", count: 24), suffix: "",
            repeats: 1_000),
        .init(pattern: #"^(\w+\s?)*$"#, prefix: "", unit: "word ", suffix: "!", repeats: 10_000),
        .init(pattern: "(?i)(σ|ς)+x", prefix: "", unit: "Σ", suffix: "", repeats: 50_000),
        .init(pattern: #"(\b\w+\b\s*)+\."#, prefix: "", unit: "ab ", suffix: "", repeats: 20_000),
    ]

    @Test(arguments: pathological)
    func workGrowsLinearlyWithTheText(_ workload: Workload) throws {
        let regex = try LinearRegex(workload.pattern)
        let single = workload.text(workload.repeats)
        let double = workload.text(2 * workload.repeats)
        let (matchedSingle, stepsSingle) = regex.search(single)
        let (matchedDouble, stepsDouble) = regex.search(double)
        #expect(!matchedSingle && !matchedDouble)
        // Twice the text takes about twice the work, not the square or an exponential.
        #expect(Double(stepsDouble) <= 2.2 * Double(stepsSingle))
        // Each scalar position visits each instruction at most twice (closure and step).
        let programSize = regex.program.instructions.count
        for (text, steps) in [(single, stepsSingle), (double, stepsDouble)] {
            #expect(steps <= 2 * programSize * (text.unicodeScalars.count + 1))
        }
    }

    @Test func theClassicCatastrophicPatternFailsOnAHundredThousandCharacters() throws {
        let regex = try LinearRegex("(a+)+$")
        let text = String(repeating: "a", count: 100_000) + "!"
        #expect(!regex.matches(text))
        #expect(regex.matches(String(repeating: "a", count: 100_000)))
    }

    @Test func aMatchAtTheEndOfALongTextIsFound() throws {
        let regex = try LinearRegex("(x+x+)+y")
        let text = String(repeating: "x", count: 100_000) + "y"
        let (matched, steps) = regex.search(text)
        #expect(matched)
        #expect(steps <= 2 * regex.program.instructions.count * (text.count + 1))
    }

    @Test func aRequiredLiteralPrefixLetsTheSearchSkipAhead() throws {
        let regex = try LinearRegex("needle[0-9]+")
        let haystack = String(repeating: "hay ", count: 50_000)
        let (found, steps) = regex.search(haystack + "needle42" + haystack)
        #expect(found)
        #expect(steps < 100)
        #expect(regex.search(haystack).steps == 0)
    }

    @Test func optionalPiecesAtTheEndsAreDroppedBecauseTheSearchIsUnanchored() throws {
        let regex = try LinearRegex(".*acme.*")
        #expect(regex.program.isLiteral)
        #expect(regex.matches("x acme\ny"))
        #expect(!regex.matches("ac me"))
        expectMatches("(a|aa)*b", ["b", "aab"], not: ["aaa"])
        expectMatches("x*", ["", "y"])
        // Assertions depend on their surroundings, so they are kept.
        expectMatches(#"\bfoo.*"#, ["a foo"], not: ["afoo"])
    }

    @Test func literalPatternsAreDecidedBySubstringSearch() throws {
        let regex = try LinearRegex("héllo")
        #expect(regex.program.isLiteral)
        #expect(regex.search("say héllo").matched)
        #expect(!regex.search("say hello").matched)
        #expect(try !LinearRegex("(?i)héllo").program.isLiteral)
    }
}
