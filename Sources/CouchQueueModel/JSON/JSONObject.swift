/// A JSON object: its members sorted by name, each name once.
///
/// A sorted array, not a dictionary: the objects the server reads (a request's body, a task's
/// data) hold a handful of members, which the parser sorts in place as it finishes each object
/// and the canonical writer emits as they stand. A dictionary hashed every name on each insert
/// and look-up, and the writer sorted its keys anew; inserting into dictionaries alone was 1.3%
/// of a publish's CPU. Names are ordered and compared as Swift's `String` does (canonical
/// equivalence), as a dictionary's were.
public struct JSONObject: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSONValue)

    private var members: [Element]

    /// Members already sorted by name, each name once.
    init(sortedUniqueMembers members: [Element]) {
        self.members = members
    }

    public init() {
        members = []
    }

    public init(_ dictionary: [String: JSONValue]) {
        members = dictionary.sorted { $0.key < $1.key }
    }

    /// A repeated name keeps its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }

    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }
    public subscript(position: Int) -> Element { members[position] }

    public subscript(key: String) -> JSONValue? {
        get {
            let position = firstPosition(notBelow: key)
            return position < members.count && members[position].key == key ? members[position].value : nil
        }
        set {
            let position = firstPosition(notBelow: key)
            let present = position < members.count && members[position].key == key
            switch (newValue, present) {
            case (let value?, true): members[position].value = value
            case (let value?, false): members.insert((key, value), at: position)
            case (nil, true): members.remove(at: position)
            case (nil, false): break
            }
        }
    }

    /// Where `key` is, or would be inserted.
    private func firstPosition(notBelow key: String) -> Int {
        var (low, high) = (0, members.count)
        while low < high {
            let middle = (low + high) / 2
            if members[middle].key < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    public static func == (left: JSONObject, right: JSONObject) -> Bool {
        left.members.elementsEqual(right.members) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        for (key, value) in members {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}
