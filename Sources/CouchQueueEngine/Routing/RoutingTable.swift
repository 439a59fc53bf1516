import CouchQueueModel
import CouchQueueRegex

/// Every queue's field patterns, by field path, built once per load of the interests.
///
/// A publication is routed by walking its data and this tree together: only the fields both
/// have are read, each level from the side with fewer names, and a field's work bound is
/// summed over its patterns when the tree is built. Looking every pattern's field up in the
/// data, and bounding each pattern's work, cost the event loop about 22 ms a publication with
/// 50,000 patterns registered, on fields the data did not even have.
struct RoutingTable: Sendable {
    /// A field on a path: the patterns on it, with their queues' indexes, and the fields below.
    struct Node: Sendable {
        var patterns: [(queue: Int, regex: LinearRegex)] = []
        /// The patterns' work bounds summed: `perByte` × the text's bytes + `fixed`.
        var perByte = 0
        var fixed = 0
        var children: [String: Node] = [:]
    }

    /// A field the data has and patterns read, with its text.
    typealias Search = (patterns: [(queue: Int, regex: LinearRegex)], text: String)

    /// Queue names, in the order of their indexes.
    private let queues: [String]
    /// The queues interested in everything (`"*"`).
    private let everything: [Int]
    private let root: Node

    init(_ interests: [String: CompiledInterests]) {
        queues = interests.keys.sorted()
        var everything: [Int] = []
        var root = Node()
        for (index, queue) in queues.enumerated() {
            guard let fields = interests[queue]!.fields else {
                everything.append(index)
                continue
            }
            for field in fields { root.add(field.regex, of: index, at: field.path[...]) }
        }
        self.everything = everything
        self.root = root
    }

    /// The fields whose texts decide the queues' interest in `data`, and the work bound of
    /// matching them; a missing or null field takes no part. nil as soon as the work passes
    /// `budget`.
    func plan(_ data: JSONValue, budget: Int) -> (searches: [Search], work: Int)? {
        var plan = Plan(budget: budget)
        plan.walk(root, data)
        return plan.work > budget ? nil : (plan.searches, plan.work)
    }

    /// The queues interested in everything and those a pattern of which matches, by name in
    /// order. A queue is matched at most once.
    func interested(_ searches: [Search]) -> [String] {
        var matched = [Bool](repeating: false, count: queues.count)
        for search in searches {
            for (queue, regex) in search.patterns where !matched[queue] && regex.matches(search.text) { matched[queue] = true }
        }
        for queue in everything { matched[queue] = true }
        return queues.indices.filter { matched[$0] }.map { queues[$0] }
    }

    /// Setting up one search costs about as much as this many VM steps, whatever its text:
    /// counted so that thousands of patterns on short fields are not taken for no work.
    static let workPerSearch = 256

    private struct Plan {
        let budget: Int
        var searches: [Search] = []
        var work = 0

        init(budget: Int) {
            self.budget = budget
        }

        /// `value` is the data at `node`'s path. A field's text is rendered once, for every
        /// queue with a pattern on it: a string as it is, anything else as compact JSON.
        mutating func walk(_ node: Node, _ value: JSONValue) {
            if !node.patterns.isEmpty, let text = Self.text(value) {
                // Past the budget, the sum only has to stay past it: saturated, not trapped.
                let (scaled, overflowed) = node.perByte.multipliedReportingOverflow(by: text.utf8.count)
                let (added, overflowedAdding) = work.addingReportingOverflow(scaled)
                let (total, overflowedFixed) = added.addingReportingOverflow(node.fixed)
                work = overflowed || overflowedAdding || overflowedFixed ? .max : total
                guard work <= budget else { return }
                searches.append((node.patterns, text))
            }
            guard !node.children.isEmpty, case .object(let members) = value else { return }
            if node.children.count <= members.count {
                for (name, child) in node.children where work <= budget {
                    if let member = members[name] { walk(child, member) }
                }
            } else {
                for (name, member) in members where work <= budget {
                    if let child = node.children[name] { walk(child, member) }
                }
            }
        }

        private static func text(_ value: JSONValue) -> String? {
            switch value {
            case .null: nil
            case .string(let text): text
            default: value.canonicalText
            }
        }
    }
}

extension RoutingTable.Node {
    /// `workBound` is linear in the text's length: its slope and its value at 0, summed.
    fileprivate mutating func add(_ regex: LinearRegex, of queue: Int, at path: ArraySlice<Substring>) {
        guard let name = path.first else {
            patterns.append((queue, regex))
            let atZero = regex.workBound(utf8Count: 0)
            perByte += regex.workBound(utf8Count: 1) - atZero
            fixed += atZero + RoutingTable.workPerSearch
            return
        }
        children[String(name), default: Self()].add(regex, of: queue, at: path.dropFirst())
    }
}
