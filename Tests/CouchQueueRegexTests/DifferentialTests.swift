import Testing

@testable import CouchQueueRegex

/// Compares LinearRegex with the real RE2 (PyPI's google-re2, driven by
/// `Support/re2_oracle.py`). Without python3 and the re2 module these tests fail with a
/// message saying to `pip install google-re2`; they never skip.
@Suite struct DifferentialTests {
    typealias Case = (pattern: PatternGenerator.Pattern, texts: [String])

    @Test func acceptsRefusesAndMatchesAsRE2DoesOnGeneratedPatterns() throws {
        var generator = PatternGenerator(seed: 0x5EED_C0DE)
        let cases = (0..<3000).map { _ in (pattern: generator.pattern(), texts: (0..<8).map { _ in generator.text() }) }
        let comparison = try compareWithRE2(cases)
        // The sample must exercise matches, non-matches and refusals, or it proves little.
        #expect(comparison.comparedTexts > 12_000)
        #expect(comparison.matchedTexts > comparison.comparedTexts / 5)
        #expect(comparison.matchedTexts < comparison.comparedTexts * 4 / 5)
        #expect(comparison.refusedByBoth > 150)
        #expect(comparison.refusedByDesign > 10)
    }

    @Test func acceptsAndRefusesAsRE2DoesOnShortStringsOfSyntaxCharacters() throws {
        var generator = PatternGenerator(seed: 0x50_0B)
        let cases = (0..<10_000).map { _ in
            (pattern: generator.tokenSoup(), texts: (0..<3).map { _ in generator.text() })
        }
        let comparison = try compareWithRE2(cases)
        #expect(comparison.comparedTexts > 3000)
        #expect(comparison.refusedByBoth > 3000)
    }

    /// For every cased scalar RE2's tables know (Unicode 15.0 and earlier), `(?i)` matches
    /// exactly its fold orbit: the orbit members must match, and the scalar's other case
    /// mappings and neighbours must not unless RE2 says so.
    @Test func caseInsensitiveLiteralsMatchWhatRE2FoldsTogether() throws {
        let cased = Self.scalarsKnownToRE2(in: 0...0x1FFFF).filter(\.properties.changesWhenCaseMapped)
        let cases: [Case] = cased.map { scalar in
            let mappings = [scalar.properties.lowercaseMapping, scalar.properties.uppercaseMapping]
            let candidates = Set(
                CaseFolding.orbit(of: scalar.value) + [scalar.value - 1, scalar.value + 1]
                    + mappings.flatMap { $0.unicodeScalars.map(\.value) })
            let texts = candidates.compactMap(Unicode.Scalar.init).filter(Self.isKnownToRE2).map { String($0) }
            return (.init(source: #"(?i)\x{"# + String(scalar.value, radix: 16) + "}"), texts.sorted())
        }
        let comparison = try compareWithRE2(cases)
        #expect(cases.count > 2500)
        #expect(comparison.matchedTexts > 5000)
    }

    /// Each general category, and its negation, holds the same scalars as in RE2, checked
    /// on a spread of scalars across the code space.
    @Test func generalCategoriesHoldTheSameScalarsAsInRE2() throws {
        let sample = Self.scalarsKnownToRE2(in: 0...0x10FFFF).enumerated().filter { $0.offset % 199 == 0 }.map {
            String($0.element)
        }
        let names = [
            "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc", "Pd",
            "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So", "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Co",
            "Any",
        ]
        let cases: [Case] = names.flatMap { name in
            [#"\p{"#, #"\P{"#, #"(?i)\p{"#].map { (.init(source: $0 + name + "}"), sample) }
        }
        let comparison = try compareWithRE2(cases)
        #expect(comparison.comparedTexts == cases.count * sample.count)
        #expect(sample.count > 5000)
    }

    /// Asks RE2 about every case in one run and expects LinearRegex to agree on each.
    private func compareWithRE2(_ cases: [Case], sourceLocation: SourceLocation = #_sourceLocation) throws
        -> Comparison
    {
        let verdicts = try RE2Oracle.verdicts(for: cases.map { .init(pattern: $0.pattern.source, texts: $0.texts) })
        var comparison = Comparison()
        for (testCase, verdict) in zip(cases, verdicts) {
            comparison.compare(testCase.pattern, texts: testCase.texts, with: verdict)
        }
        #expect(comparison.disagreements.isEmpty, "\(comparison.report)", sourceLocation: sourceLocation)
        return comparison
    }

    /// RE2's Unicode tables are older than Swift's; scalars assigned after Unicode 15.0
    /// are left out (unassigned ones stay: they are in no category in either).
    private static func isKnownToRE2(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return true }
        return age <= (15, 0)
    }

    private static func scalarsKnownToRE2(in range: ClosedRange<UInt32>) -> [Unicode.Scalar] {
        range.compactMap(Unicode.Scalar.init).filter(isKnownToRE2)
    }
}
