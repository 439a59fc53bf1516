/// Byte classes of the HTTP and URL grammars, which are ASCII: `Character`'s own classes
/// also take other scripts' digits and fullwidth forms.
extension UInt8 {
    var isASCIIDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }

    var isASCIIHexDigit: Bool {
        isASCIIDigit || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self | 0x20)
    }
}
