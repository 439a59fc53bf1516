import CouchQueueModel
import CouchQueueRegex

/// A queue's interests with every pattern compiled, built once when the interests are set.
struct CompiledInterests: Sendable {
    struct FieldPattern: Sendable {
        /// `user.email` as `["user", "email"]`.
        let path: [Substring]
        let regex: LinearRegex
    }

    /// nil: interested in everything (`"*"`).
    let fields: [FieldPattern]?
    /// What was compiled: a reload keeps the compiled form of interests that did not change.
    let source: Interests

    /// Compiles and validates, naming the field at fault.
    init(_ interests: Interests) throws(EngineError) {
        source = interests
        switch interests {
        case .everything:
            fields = nil
        case .fields(let pairs):
            guard !pairs.isEmpty else { throw EngineError(.invalidInterest, "interests must be \"*\" or a non-empty object") }
            var compiled: [FieldPattern] = []
            for (field, pattern) in pairs.sorted(by: { $0.key < $1.key }) {
                let path = field.split(separator: ".", omittingEmptySubsequences: false)
                guard !field.isEmpty, field.utf8.count <= 1024, !path.contains(where: \.isEmpty) else {
                    throw EngineError(.invalidInterest, "interest field \"\(field.prefix(64))\" is not a field name or dotted path")
                }
                do {
                    compiled.append(FieldPattern(path: path, regex: try LinearRegex(pattern)))
                } catch {
                    throw EngineError(.invalidInterest, "interest field \"\(field)\": invalid pattern: \(error.message)")
                }
            }
            fields = compiled
        }
    }

    /// A pattern and the text of the field it is matched against.
    typealias Candidate = (regex: LinearRegex, text: String)

    /// The (pattern, text) pairs that decide this queue's interest in `data`: a string field
    /// as it is, anything else as compact JSON; a missing or null field takes no part.
    /// nil when the queue wants everything.
    func candidates(_ data: JSONValue) -> [Candidate]? {
        guard let fields else { return nil }
        return fields.compactMap { field in
            switch data.value(atPath: field.path) {
            case nil, .null?: nil
            case .string(let text)?: (field.regex, text)
            case let other?: (field.regex, other.canonicalText)
            }
        }
    }
}
