/// The contract's name rule for queues: `[A-Za-z0-9_.:-]{1,128}`.
enum QueueName {
    static func isValid(_ name: String) -> Bool {
        let utf8 = name.utf8
        return (1...128).contains(utf8.count) && utf8.allSatisfy(isAllowed)
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// Throws `code` naming the first invalid name.
    static func validate(_ names: [String], code: EngineError.Code) throws(EngineError) {
        if let bad = names.first(where: { !isValid($0) }) {
            throw EngineError(code, "queue name \"\(bad.prefix(140))\" is invalid: use 1 to 128 of A-Z a-z 0-9 _ . : -")
        }
    }
}
