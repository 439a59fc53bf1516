/// A stable 64-bit FNV-1a hash of a task's canonical data, so stores can index "same data"
/// (the singular rules) without indexing the data itself. Equal hashes are confirmed on the text.
public enum DataFingerprint {
    public static func of(_ canonicalData: String) -> Int64 {
        // Over the string's contiguous bytes: its `utf8` view checks its kind at every byte.
        var text = canonicalData
        return text.withUTF8 { bytes in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            return Int64(bitPattern: hash)
        }
    }
}
