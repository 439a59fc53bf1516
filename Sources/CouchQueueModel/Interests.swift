/// What a queue wants: every task (`"*"`), or tasks where any one `field: regex` pair matches.
public enum Interests: Sendable, Equatable {
    case everything
    case fields([String: String])
}

extension Interests: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let star = try? container.decode(String.self) {
            guard star == "*" else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "interests must be \"*\" or an object")
            }
            self = .everything
        } else {
            self = .fields(try container.decode([String: String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .everything: try container.encode("*")
        case .fields(let fields): try container.encode(fields)
        }
    }
}
