import CouchQueueModel

/// The texts a publication's fields are matched as: a string as it is, anything else as
/// compact JSON, rendered once for all the queues that read the field. Rendered for each
/// queue, a 1 MiB array read by 5,000 queues made 5 GB of copies before the work budget
/// refused it.
struct FieldTexts {
    let data: JSONValue
    private var rendered: [[Substring]: String] = [:]

    init(_ data: JSONValue) {
        self.data = data
    }

    /// nil for a missing or null field.
    mutating func text(at path: [Substring]) -> String? {
        switch data.value(atPath: path) {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?:
            if let text = rendered[path] { return text }
            let text = other.canonicalText
            rendered[path] = text
            return text
        }
    }
}
