import Foundation
import Synchronization

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
        let milliseconds = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        var bits = randomBits()
        // Written in place: one allocation, where an array of the characters, its string
        // and the prefix joined to it took three (an id is made for every publish and task).
        return String(unsafeUninitializedCapacity: prefix.utf8.count + 37) { out in
            var end = out.initialize(fromContentsOf: prefix.utf8)
            out[end] = UInt8(ascii: "_")
            end += 1
            for shift in stride(from: 45, through: 0, by: -5) {
                out[end] = alphabet[Int((milliseconds >> UInt64(shift)) & 31)]
                end += 1
            }
            for _ in 0..<26 {
                out[end] = alphabet[Int(bits.0 & 31)]
                end += 1
                bits.0 = (bits.0 >> 5) | (bits.1 << 59)
                bits.1 >>= 5
            }
            return end
        }
    }

    /// 128 bits from the C library's secure generator (`arc4random_buf`: keyed from the
    /// kernel), taken a page at a time: glibc's makes a `getrandom` system call per request,
    /// which was about a microsecond per id on a publish's path.
    private static func randomBits() -> (UInt64, UInt64) {
        entropy.withLock { $0.next() }
    }

    private static let entropy = Mutex(EntropyPage())

    private struct EntropyPage: ~Copyable {
        private var words = [UInt64](repeating: 0, count: 512)
        private var used = 512

        mutating func next() -> (UInt64, UInt64) {
            if used == words.count { refill() }
            defer { used += 2 }
            return (words[used], words[used + 1])
        }

        private mutating func refill() {
            words.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
            used = 0
        }
    }
}
