import Testing

@testable import CouchQueueRegex

/// The syntax tree the parser builds: what each construct means once flags are applied.
@Suite struct ParserTests {
    @Test func literalsFormAConcatenationAndGroupsLeaveNoTrace() {
        #expect(parsed("ab") == .concatenation([literal("a"), literal("b")]))
        #expect(parsed("((a))") == literal("a"))
        #expect(parsed("(?:a)(?P<x>b)(?<y>c)") == .concatenation([literal("a"), literal("b"), literal("c")]))
    }

    @Test func emptyPatternsAndAlternativesMatchTheEmptyString() {
        #expect(parsed("") == .empty)
        #expect(parsed("()") == .empty)
        #expect(parsed("a|") == .alternation([literal("a"), .empty]))
    }

    @Test func repetitionOperatorsBecomeCountedRepetitions() {
        #expect(parsed("a*") == .repetition(literal("a"), min: 0, max: nil))
        #expect(parsed("a+?") == .repetition(literal("a"), min: 1, max: nil))
        #expect(parsed("a?") == .repetition(literal("a"), min: 0, max: 1))
        #expect(parsed("a{2,3}") == .repetition(literal("a"), min: 2, max: 3))
        #expect(parsed("a{2,}") == .repetition(literal("a"), min: 2, max: nil))
        #expect(parsed("ab{2}") == .concatenation([literal("a"), .repetition(literal("b"), min: 2, max: 2)]))
    }

    @Test func aBraceThatIsNotACountIsALiteralAsInRE2() {
        let braces = ["a{", "a{,3}", "a{01}", "a{1,x}", "a{1000000000}"]
        for pattern in braces {
            let literals = Node.concatenation(pattern.unicodeScalars.map(literal))
            #expect(parsed(pattern) == literals, "\(pattern)")
        }
    }

    @Test func aRepetitionAfterAFlagGroupAppliesToThePieceBeforeIt() {
        #expect(parsed("a(?i)*") == .repetition(literal("a"), min: 0, max: nil))
    }

    @Test func caseInsensitiveLiteralsBecomeTheirCaseVariants() {
        #expect(parsed("(?i)k") == oneOf("K", "k", "\u{212A}"))
        #expect(parsed("(?i)1") == literal("1"))
        #expect(parsed("(?i:a)b") == .concatenation([oneOf("A", "a"), literal("b")]))
    }

    @Test func flagsSetInsideAGroupEndWithIt() {
        #expect(parsed("((?i)a)a") == .concatenation([oneOf("A", "a"), literal("a")]))
        #expect(parsed("(?i)a(?-i)a") == .concatenation([oneOf("A", "a"), literal("a")]))
    }

    @Test func anchorsDependOnTheMultilineFlag() {
        #expect(parsed("^$") == .concatenation([.assertion(.beginText), .assertion(.endText)]))
        #expect(parsed("(?m)^$") == .concatenation([.assertion(.beginLine), .assertion(.endLine)]))
        #expect(
            parsed(#"\A\z\b\B"#)
                == .concatenation([
                    .assertion(.beginText), .assertion(.endText), .assertion(.wordBoundary),
                    .assertion(.notWordBoundary),
                ]))
    }

    @Test func dotExcludesNewlineUnlessDotAllIsSet() {
        #expect(parsed(".") == .set(.allButNewline))
        #expect(parsed("(?s).") == .set(.all))
    }

    @Test func escapesStandForSingleScalars() {
        let escapes: [(String, Unicode.Scalar)] = [
            (#"\n"#, "\n"), (#"\t"#, "\t"), (#"\a"#, "\u{07}"), (#"\f"#, "\u{0C}"), (#"\v"#, "\u{0B}"), (#"\r"#, "\r"),
            (#"\0"#, "\u{00}"), (#"\12"#, "\n"), (#"\177"#, "\u{7F}"), (#"\x41"#, "A"), (#"\x{1F600}"#, "\u{1F600}"),
            (#"\x{0000000041}"#, "A"), (#"\."#, "."), (#"\_"#, "_"), (#"\ "#, " "),
        ]
        for (pattern, scalar) in escapes {
            #expect(parsed(pattern) == literal(scalar), "\(pattern)")
        }
        #expect(parsed(#"\08"#) == .concatenation([literal("\u{00}"), literal("8")]))
    }

    @Test func quotedTextIsLiteralUpToBackslashE() {
        #expect(
            parsed(#"\Qa.*\E+"#)
                == .concatenation([
                    literal("a"), literal("."), .repetition(literal("*"), min: 1, max: nil),
                ]))
        #expect(parsed(#"\Qa\"#) == .concatenation([literal("a"), literal("\\")]))
    }

    @Test func bracketClassesFollowRE2sRulesForBracketsAndDashes() {
        #expect(parsed("[]a]") == oneOf("]", "a"))
        #expect(parsed("[a-]") == oneOf("-", "a"))
        #expect(parsed("[a-c-e]") == oneOf("a", "b", "c", "-", "e"))
        #expect(parsed(#"[\d-z]"#) == .set(ASCIIClasses.digit.union(ScalarSet([0x2D...0x2D, 0x7A...0x7A]))))
        #expect(parsed("[[:]") == oneOf("[", ":"))
        #expect(parsed("[^a]") == .set(ScalarSet(0x61).inverted()))
    }

    @Test func namedClassesFoldCaseBeforeNegating() {
        // RE2 builds the folded class, then negates it: ſ and K fold into \w, so (?i)\W
        // leaves them out.
        guard case .set(let nonWord)? = parsed(#"(?i)\W"#) else { return }
        #expect(!nonWord.contains(0x017F))
        #expect(!nonWord.contains(0x212A))
        #expect(nonWord.contains(0x21))
    }
}
