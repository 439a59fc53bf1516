/// A string's UTF-8 bytes read as scalars in place, so a search never copies or decodes
/// the whole text up front. The bytes come from a Swift `String`, so they are valid UTF-8.
struct UTF8Text {
    /// Stands for "no scalar" before the start and after the end of the text.
    static let none = UInt32.max

    let bytes: UnsafeBufferPointer<UInt8>

    var count: Int { bytes.count }

    /// The scalar that starts at `offset`, and its length in bytes.
    @inline(__always)
    func scalar(at offset: Int) -> (value: UInt32, length: Int) {
        let lead = UInt32(bytes[offset])
        if lead < 0x80 { return (lead, 1) }
        func continuation(_ index: Int) -> UInt32 { UInt32(bytes[offset + index]) & 0x3F }
        if lead < 0xE0 { return ((lead & 0x1F) << 6 | continuation(1), 2) }
        if lead < 0xF0 { return ((lead & 0x0F) << 12 | continuation(1) << 6 | continuation(2), 3) }
        return ((lead & 0x07) << 18 | continuation(1) << 12 | continuation(2) << 6 | continuation(3), 4)
    }

    /// The scalar that ends at `offset`, or `none` at the start.
    func scalar(before offset: Int) -> UInt32 {
        guard offset > 0 else { return Self.none }
        var start = offset - 1
        while bytes[start] & 0xC0 == 0x80 { start -= 1 }
        return scalar(at: start).value
    }

    /// The first offset at or after `start` where `prefix` begins. Byte matching is scalar
    /// matching here: UTF-8 never matches in the middle of another scalar.
    func firstOccurrence(of prefix: SubstringSearch, from start: Int, comparisons: inout Int) -> Int? {
        prefix.firstOccurrence(in: bytes, from: start, comparisons: &comparisons)
    }

    /// The zero-width conditions that hold at `offset`, just after `previous`.
    func context(at offset: Int, previous: UInt32) -> Assertion {
        let next = offset < count ? scalar(at: offset).value : Self.none
        var context: Assertion = []
        if offset == 0 {
            context.formUnion([.beginText, .beginLine])
        } else if previous == 0x0A {
            context.insert(.beginLine)
        }
        if offset == count {
            context.formUnion([.endText, .endLine])
        } else if next == 0x0A {
            context.insert(.endLine)
        }
        let atBoundary = ASCIIClasses.isWord(previous) != ASCIIClasses.isWord(next)
        context.insert(atBoundary ? .wordBoundary : .notWordBoundary)
        return context
    }
}
