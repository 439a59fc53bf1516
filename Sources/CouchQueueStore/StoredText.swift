import CouchQueueModel

/// How stores keep lists and interests in a text column: compact JSON, the same in every store.
public enum StoredText {
    public static func queueList(_ queues: [String]) -> String {
        JSONValue.array(queues.map { .string($0) }).canonicalText
    }

    /// Read on every lease, so parsed with the hot-path parser.
    public static func queueList(from text: String) throws -> [String] {
        guard case .array(let items) = try JSONValue.parse(text.utf8, maxDepth: 1) else { throw corrupt(text) }
        return try items.map { item in
            guard case .string(let name) = item else { throw corrupt(text) }
            return name
        }
    }

    public static func interests(_ interests: Interests) -> String {
        switch interests {
        case .everything: JSONValue.string("*").canonicalText
        case .fields(let fields): JSONValue.object(JSONObject(fields.mapValues { .string($0) })).canonicalText
        }
    }

    public static func interests(from text: String) throws -> Interests {
        switch try JSONValue.parse(text.utf8, maxDepth: 2) {
        case .string("*"): return .everything
        case .object(let members):
            return .fields(Dictionary(uniqueKeysWithValues: try members.map { field, value in
                guard case .string(let pattern) = value else { throw corrupt(text) }
                return (field, pattern)
            }))
        default: throw corrupt(text)
        }
    }

    private static func corrupt(_ text: String) -> JSONParseError {
        JSONParseError(message: "stored value is not what CouchQueue wrote: \(text.prefix(100))")
    }
}
