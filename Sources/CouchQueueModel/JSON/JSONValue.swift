/// Any JSON value, as a task's `data` holds it.
///
/// Integers are kept apart from doubles so that ids such as `12345678901234567` survive a round
/// trip unchanged; one beyond `Int64` (an unsigned 64-bit hash, say) is kept as its digits,
/// which a double would round.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    /// An integer literal outside `Int64`'s range, as written (`-` and digits, no leading zero).
    case largeInteger(String)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The value at a dotted path (`user.email`) through nested objects, or nil when absent.
    public func value(atPath path: some Collection<Substring>) -> JSONValue? {
        var current = self
        for key in path {
            guard case .object(let members) = current, let next = members[String(key)] else { return nil }
            current = next
        }
        return current
    }

    public var objectValue: JSONObject? {
        if case .object(let members) = self { return members }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let int = try? container.decode(Int64.self) {
            self = .int(int)
        } else if let double = try? container.decode(Double.self) {
            self = .double(double)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(JSONObject(try container.decode([String: JSONValue].self)))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        // The nearest an encoder without number literals can write (digits always parse, past
        // Double's range as infinity); `JSONValueEncoder` keeps the digits.
        case .largeInteger(let digits): try container.encode(Double(digits)!)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let members): try container.encode(Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.value) }))
        }
    }
}

extension JSONValue {
    /// Compact JSON with sorted keys: equal values have equal text, so it serves as the
    /// identity of `data` for the singular rules and as the text that interests match.
    public var canonicalText: String {
        var bytes: [UInt8] = []
        JSONWriter.write(self, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses JSON text strictly, refusing nesting deeper than `maxDepth`.
    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(bytes), maxDepth: maxDepth)
    }
}

/// Why a JSON text was refused.
public struct JSONParseError: Error, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
}
