/// A set of Unicode scalar values kept as sorted, disjoint, non-adjacent ranges.
///
/// Every character class, literal and `.` becomes one of these, so the compiler and the
/// VM deal with a single kind of "consume one scalar" instruction. Values are `UInt32`
/// rather than `Unicode.Scalar` because RE2 lets escapes such as `\x{D800}` name
/// surrogates, which no text can contain but a class range may still span.
struct ScalarSet: Hashable, Sendable {
    static let maxScalar: UInt32 = 0x10FFFF

    private(set) var ranges: [ClosedRange<UInt32>]

    init() { ranges = [] }

    init(_ scalar: UInt32) { ranges = [scalar...scalar] }

    init<S: Sequence>(_ ranges: S) where S.Element == ClosedRange<UInt32> {
        self.ranges = Self.normalized(Array(ranges))
    }

    static let all = ScalarSet([0...maxScalar])
    static let allButNewline = ScalarSet([0...9, 11...maxScalar])

    var isEmpty: Bool { ranges.isEmpty }

    /// The single scalar this set holds, if it holds exactly one.
    var singleScalar: UInt32? {
        guard ranges.count == 1, ranges[0].lowerBound == ranges[0].upperBound else { return nil }
        return ranges[0].lowerBound
    }

    func contains(_ scalar: UInt32) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound < scalar {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low < ranges.count && ranges[low].contains(scalar)
    }

    mutating func formUnion(_ other: ScalarSet) {
        ranges = Self.normalized(ranges + other.ranges)
    }

    func union(_ other: ScalarSet) -> ScalarSet {
        var result = self
        result.formUnion(other)
        return result
    }

    /// Every scalar in 0...0x10FFFF that is not in this set.
    func inverted() -> ScalarSet {
        var gaps: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { gaps.append(next...(range.lowerBound - 1)) }
            if range.upperBound == Self.maxScalar { return ScalarSet(gaps) }
            next = range.upperBound + 1
        }
        gaps.append(next...Self.maxScalar)
        return ScalarSet(gaps)
    }

    /// This set plus every scalar that simple case folding makes equivalent to a member,
    /// which is how RE2 widens classes and literals under `(?i)`.
    func caseFolded() -> ScalarSet {
        var added: [ClosedRange<UInt32>] = []
        for range in ranges {
            for scalar in CaseFolding.foldableScalars(in: range) {
                added.append(contentsOf: CaseFolding.orbit(of: scalar).map { $0...$0 })
            }
        }
        return added.isEmpty ? self : ScalarSet(ranges + added)
    }

    private static func normalized(_ input: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        let sorted = input.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        merged.reserveCapacity(sorted.count)
        for range in sorted {
            if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }
}
