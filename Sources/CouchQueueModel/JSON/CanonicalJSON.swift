/// A JSON value held as its canonical text (`JSONValue.canonicalText`), as the store keeps a
/// task's `data`: an answer embeds the text as it is, without parsing it and writing it again.
public struct CanonicalJSON: Sendable, Equatable, Codable {
    public let text: String

    /// Text the server itself wrote as `canonicalText`; it is trusted, not checked again.
    public init(storedText: String) {
        self.text = storedText
    }

    public init(_ value: JSONValue) {
        self.text = value.canonicalText
    }

    public var value: JSONValue {
        get throws { try JSONValue.parse(text.utf8, maxDepth: .max) }
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(JSONValue.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(try value)
    }
}
