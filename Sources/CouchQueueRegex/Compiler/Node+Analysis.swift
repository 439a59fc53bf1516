/// Rewrites and facts that let the VM skip work. All are conservative — a shorter prefix,
/// `false`, or less trimming is always correct, only slower — so each looks at most
/// `analysisDepth` levels into the tree, keeping its recursion shallow on any pattern.
extension Node {
    static let analysisDepth = 16

    /// The node with optional pieces at either end removed, which a yes/no unanchored
    /// search cannot tell apart: `x*Y` matches somewhere exactly when `Y` does (take `x*`
    /// empty), and so does `Yx*`. It turns the common `.*foo.*` into a substring search.
    var trimmedForSearch: Node {
        guard case .alternation(let alternatives) = self else { return withOptionalEndsDropped }
        return .alternation(alternatives.map(\.withOptionalEndsDropped))
    }

    private var withOptionalEndsDropped: Node {
        guard case .concatenation(let nodes) = self else { return isOptional() ? .empty : self }
        let kept = nodes.drop { $0.isOptional() }.reversed().drop { $0.isOptional() }.reversed()
        switch kept.count {
        case 0: return .empty
        case 1: return kept.first!
        default: return .concatenation(Array(kept))
        }
    }

    /// Whether the node matches the empty string whatever the text around it (so not an
    /// assertion, which depends on its neighbours).
    func isOptional(depth: Int = analysisDepth) -> Bool {
        guard depth > 0 else { return false }
        switch self {
        case .empty: return true
        case .set, .assertion: return false
        case .concatenation(let nodes): return nodes.allSatisfy { $0.isOptional(depth: depth - 1) }
        case .alternation(let nodes): return nodes.contains { $0.isOptional(depth: depth - 1) }
        case .repetition(let node, let min, _): return min == 0 || node.isOptional(depth: depth - 1)
        }
    }

    /// The scalars every match begins with, and whether the node is exactly those scalars
    /// (nothing else to match, no assertions).
    func literalPrefix(depth: Int = analysisDepth) -> (scalars: [UInt32], isWhole: Bool) {
        guard depth > 0 else { return ([], false) }
        switch self {
        case .empty:
            return ([], true)
        case .set(let set):
            guard let scalar = set.singleScalar else { return ([], false) }
            return ([scalar], true)
        case .concatenation(let nodes):
            var scalars: [UInt32] = []
            for node in nodes {
                let prefix = node.literalPrefix(depth: depth - 1)
                scalars += prefix.scalars
                if !prefix.isWhole { return (scalars, false) }
            }
            return (scalars, true)
        case .repetition(let node, let min, _) where min > 0:
            return (node.literalPrefix(depth: depth - 1).scalars, false)
        case .assertion, .alternation, .repetition:
            return ([], false)
        }
    }

    /// Whether every match must start at the beginning of the text.
    func isAnchoredAtStart(depth: Int = analysisDepth) -> Bool {
        guard depth > 0 else { return false }
        switch self {
        case .assertion(let assertion):
            return assertion == .beginText
        case .concatenation(let nodes):
            return nodes.first?.isAnchoredAtStart(depth: depth - 1) ?? false
        case .alternation(let nodes):
            return nodes.allSatisfy { $0.isAnchoredAtStart(depth: depth - 1) }
        case .repetition(let node, let min, _):
            return min > 0 && node.isAnchoredAtStart(depth: depth - 1)
        case .empty, .set:
            return false
        }
    }
}
