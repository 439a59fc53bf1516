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

    /// The most one queue's patterns may compile to in all (`LinearRegex.size`, about 8 bytes
    /// a unit; a pattern may take 20,000 instructions): without it, a 1 MiB `PUT /interest` of
    /// thousands of short patterns with large counts (`a{1000}` nineteen times) or large
    /// classes (`\pL`) held gigabytes for good.
    static let maxTotalSize = 100_000

    /// Compiles and validates, naming the field at fault. `checkingTotalSize`: interests being
    /// set; stored ones load whatever their size, so that no queue stored before the limit
    /// stops receiving tasks.
    init(_ interests: Interests, checkingTotalSize: Bool = false) throws(EngineError) {
        source = interests
        switch interests {
        case .everything:
            fields = nil
        case .fields(let pairs):
            guard !pairs.isEmpty else { throw EngineError(.invalidInterest, "interests must be \"*\" or a non-empty object") }
            var compiled: [FieldPattern] = []
            var totalSize = 0
            for (field, pattern) in pairs.sorted(by: { $0.key < $1.key }) {
                let path = field.split(separator: ".", omittingEmptySubsequences: false)
                guard !field.isEmpty, field.utf8.count <= 1024, !path.contains(where: \.isEmpty) else {
                    throw EngineError(.invalidInterest, "interest field \"\(field.prefix(64))\" is not a field name or dotted path")
                }
                let regex: LinearRegex
                do {
                    regex = try LinearRegex(pattern)
                } catch {
                    throw EngineError(.invalidInterest, "interest field \"\(field)\": invalid pattern: \(error.message)")
                }
                totalSize += regex.size
                guard !checkingTotalSize || totalSize <= Self.maxTotalSize else {
                    throw EngineError(
                        .invalidInterest,
                        "interest field \"\(field.prefix(64))\": the patterns compile to more than \(Self.maxTotalSize) instructions and class ranges "
                            + "in all; use fewer patterns, smaller repetition counts or smaller classes")
                }
                compiled.append(FieldPattern(path: path, regex: regex))
            }
            fields = compiled
        }
    }
}

extension Interests {
    /// Byte for byte: patterns and fields are matched as scalars, and `String`'s `==` takes
    /// "é" and "e\u{301}" for the same.
    func isIdentical(to other: Interests) -> Bool {
        switch (self, other) {
        case (.everything, .everything): true
        case (.fields(let mine), .fields(let theirs)):
            mine.count == theirs.count
                && mine.allSatisfy { field, pattern in
                    guard let index = theirs.index(forKey: field) else { return false }
                    let (theirField, theirPattern) = theirs[index]
                    return theirField.utf8.elementsEqual(field.utf8) && theirPattern.utf8.elementsEqual(pattern.utf8)
                }
        default: false
        }
    }
}
