/// Opaque, unguessable identifiers: a prefix naming the kind, then 128 random bits in base 32.
public enum RandomID {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// `prefix` + `_` + 26 characters from the system's secure random generator.
    public static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var bits = (generator.next() as UInt64, generator.next() as UInt64)
        var out = [UInt8]()
        out.reserveCapacity(26)
        for _ in 0..<26 {
            out.append(alphabet[Int(bits.0 & 31)])
            bits.0 = (bits.0 >> 5) | (bits.1 << 59)
            bits.1 >>= 5
        }
        return prefix + "_" + String(decoding: out, as: UTF8.self)
    }
}
