import Foundation

/// Opaque, unguessable identifiers: a prefix naming the kind, then the creation time and 128
/// random bits, in base 32.
///
/// The time comes first so that new ids sort after older ones: an index on ids then grows at
/// its end, and a batch of inserts touches a few index pages instead of one page per row.
public enum RandomID {
    /// Base 32 in ASCII order, so that the encoded time sorts as the time does.
    private static let alphabet = Array("234567abcdefghijklmnopqrstuvwxyz".utf8)

    /// `prefix` + `_` + 10 characters of milliseconds since 1970 + 26 characters from the
    /// system's secure random generator.
    public static func make(_ prefix: String) -> String {
        var out = [UInt8]()
        out.reserveCapacity(36)
        let milliseconds = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        for shift in stride(from: 45, through: 0, by: -5) {
            out.append(alphabet[Int((milliseconds >> UInt64(shift)) & 31)])
        }
        var bits = randomBits()
        for _ in 0..<26 {
            out.append(alphabet[Int(bits.0 & 31)])
            bits.0 = (bits.0 >> 5) | (bits.1 << 59)
            bits.1 >>= 5
        }
        return prefix + "_" + String(decoding: out, as: UTF8.self)
    }

    /// 128 bits from the C library's secure generator (`arc4random_buf`: keyed from the
    /// kernel, with no system call per id, where the standard library's makes one per word).
    private static func randomBits() -> (UInt64, UInt64) {
        var bits: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &bits) { arc4random_buf($0.baseAddress!, $0.count) }
        return bits
    }
}
