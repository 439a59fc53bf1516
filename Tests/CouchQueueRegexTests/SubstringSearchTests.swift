import Testing

@testable import CouchQueueRegex

/// `SubstringSearch` against the obvious search, on texts and needles over two letters, where
/// partial matches overlap the most.
@Suite struct SubstringSearchTests {
    private static func naive(_ needle: [UInt8], in text: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty else { return start }
        guard text.count >= needle.count, start <= text.count - needle.count else { return nil }
        return (start...(text.count - needle.count)).first { Array(text[$0..<($0 + needle.count)]) == needle }
    }

    @Test func findsWhatTheObviousSearchFinds() {
        var generator = SystemRandomNumberGenerator()
        let letters = Array("ab".utf8)
        for _ in 0..<3000 {
            let needle = (0..<Int.random(in: 0...6, using: &generator)).map { _ in letters.randomElement(using: &generator)! }
            let text = (0..<Int.random(in: 0...40, using: &generator)).map { _ in letters.randomElement(using: &generator)! }
            let start = Int.random(in: 0...text.count, using: &generator)
            var comparisons = 0
            let found = text.withUnsafeBufferPointer { SubstringSearch(needle).firstOccurrence(in: $0, from: start, comparisons: &comparisons) }
            #expect(found == Self.naive(needle, in: text, from: start), "\(needle) in \(text) from \(start)")
        }
    }

    /// At most two comparisons per byte searched, where comparing at each offset in turn took
    /// 4,095 per byte here.
    @Test func aLongLiteralPatternInALongText() throws {
        let regex = try LinearRegex(String(repeating: "a", count: 4095) + "b")
        let text = String(repeating: "a", count: 100_000)
        let searched = regex.search(text)
        #expect(!searched.matched && searched.steps <= 2 * text.utf8.count, "\(searched.steps) comparisons")
        #expect(!regex.matches(String(repeating: "a", count: 100_000)))
        #expect(regex.matches(String(repeating: "a", count: 100_000) + "b"))
        #expect(regex.matches("b" + String(repeating: "a", count: 5000) + "b"))
    }
}
