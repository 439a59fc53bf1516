import Foundation
import Synchronization

/// Opaque, unguessable identifiers: a prefix naming the kind, then a key (by default the
/// creation time) and 128 random bits, in base 32.
///
/// The time comes first so that new ids sort after older ones: an index on ids then grows at
/// its end, and a batch of inserts touches a few index pages instead of one page per row. A
/// store that finds rows by a key of its own puts that key there instead (`key(of:)`).
public enum RandomID {
    /// Base 32 in ASCII order, so that the encoded time sorts as the time does.
    private static let alphabet = Array("234567abcdefghijklmnopqrstuvwxyz".utf8)
    private static let randomCharacters = 26

    /// `prefix` + `_` + 10 characters of milliseconds since 1970 + 26 characters from the
    /// system's secure random generator.
    public static func make(_ prefix: String) -> String {
        make(prefix, key: UInt64(max(0, Date().timeIntervalSince1970 * 1000)), keyCharacters: 10)
    }

    /// `prefix` + `_` + the low `5 × keyCharacters` bits of `key` + 26 random characters.
    public static func make(_ prefix: String, key: UInt64, keyCharacters: Int) -> String {
        var bits = randomBits()
        // Written in place: one allocation, where an array of the characters, its string
        // and the prefix joined to it took three (an id is made for every publish and task).
        return String(unsafeUninitializedCapacity: prefix.utf8.count + 1 + keyCharacters + randomCharacters) { out in
            var end = out.initialize(fromContentsOf: prefix.utf8)
            out[end] = UInt8(ascii: "_")
            end += 1
            for shift in stride(from: 5 * (keyCharacters - 1), through: 0, by: -5) {
                out[end] = alphabet[Int((key >> UInt64(shift)) & 31)]
                end += 1
            }
            for _ in 0..<randomCharacters {
                out[end] = alphabet[Int(bits.0 & 31)]
                end += 1
                bits.0 = (bits.0 >> 5) | (bits.1 << 59)
                bits.1 >>= 5
            }
            return end
        }
    }

    /// The key that `make(prefix, key:, keyCharacters:)` put in `id`; nil for any other string.
    public static func key(of id: String, prefix: String, keyCharacters: Int) -> UInt64? {
        let bytes = id.utf8
        let keyStart = prefix.utf8.count + 1
        guard bytes.count == keyStart + keyCharacters + randomCharacters, bytes.starts(with: prefix.utf8),
            bytes.dropFirst(keyStart - 1).first == UInt8(ascii: "_")
        else { return nil }
        var key: UInt64 = 0
        for (offset, byte) in bytes.dropFirst(keyStart).enumerated() {
            guard let digit = digit(byte) else { return nil }
            if offset < keyCharacters {
                guard key >> 59 == 0 else { return nil }
                key = key << 5 | digit
            }
        }
        return key
    }

    private static func digit(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "2")...UInt8(ascii: "7"): UInt64(byte - UInt8(ascii: "2"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt64(byte - UInt8(ascii: "a") + 6)
        default: nil
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
