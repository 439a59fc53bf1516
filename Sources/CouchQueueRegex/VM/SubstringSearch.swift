/// Finds a fixed byte string in a text in time linear in the text (Knuth-Morris-Pratt): after
/// a mismatch the search goes on from the longest part of what matched that can still begin
/// an occurrence, never from an earlier byte. Comparing at each offset in turn took the text's
/// length times the string's: 4,095 `a` and a `b` sought in 100,000 `a` cost seconds.
struct SubstringSearch: Sendable {
    let needle: [UInt8]
    /// For each length of `needle` matched, the length of its longest proper prefix that is
    /// also a suffix of it: how much stays matched after a mismatch.
    private let fallback: [Int]

    init(_ needle: [UInt8]) {
        self.needle = needle
        var fallback = [Int](repeating: 0, count: needle.count + 1)
        var matched = 0
        for index in needle.indices.dropFirst() {
            while matched > 0, needle[index] != needle[matched] { matched = fallback[matched] }
            if needle[index] == needle[matched] { matched += 1 }
            fallback[index + 1] = matched
        }
        self.fallback = fallback
    }

    /// The first offset at or after `start` where `needle` begins in `text`. `comparisons`
    /// counts the bytes compared, at most twice the bytes searched, which tests check.
    func firstOccurrence(in text: UnsafeBufferPointer<UInt8>, from start: Int, comparisons: inout Int) -> Int? {
        guard !needle.isEmpty else { return start }
        var matched = 0
        var offset = start
        while offset < text.count {
            let byte = text[offset]
            while matched > 0, byte != needle[matched] {
                comparisons += 1
                matched = fallback[matched]
            }
            comparisons += 1
            if byte == needle[matched] { matched += 1 }
            offset += 1
            if matched == needle.count { return offset - needle.count }
        }
        return nil
    }
}
