/// Compiles a `Node` into a Thompson-style program for the Pike VM.
///
/// Counted repetitions are expanded (`x{2,4}` is `xx(x(x)?)?`), so the program size, not
/// the pattern length, is what bounds memory and per-scalar work; it is capped.
struct Compiler {
    /// RE2 caps programs by memory (about 8 MiB); this cap keeps a program and its
    /// per-search scratch space small while fitting any realistic pattern.
    static let maxInstructions = 20_000

    private var instructions: [Instruction] = []
    /// The sets that `.set` instructions refer to, by index.
    private var sets: [ScalarSet] = []
    /// Sets already emitted, so `\pL{100}` stores the category's ranges once.
    private var setIndices: [ScalarSet: Int32] = [:]

    static func compile(_ pattern: Node) throws(RegexSyntaxError) -> Program {
        let node = pattern.trimmedForSearch
        var compiler = Compiler()
        try compiler.emit(node)
        try compiler.append(.match)
        let prefix = node.literalPrefix()
        // A surrogate (`\x{D800}`) has no UTF-8 form; no text contains one, so stop there.
        var prefixText = ""
        for value in prefix.scalars {
            guard let scalar = Unicode.Scalar(value) else { break }
            prefixText.unicodeScalars.append(scalar)
        }
        return Program(
            instructions: compiler.instructions,
            sets: compiler.sets.map(CompiledSet.init),
            isAnchoredAtStart: node.isAnchoredAtStart(),
            requiredPrefix: SubstringSearch(Array(prefixText.utf8)),
            firstScalars: compiler.firstScalars().map(CompiledSet.init),
            isLiteral: prefix.isWhole && prefixText.unicodeScalars.count == prefix.scalars.count,
            usesAssertions: compiler.instructions.contains {
                if case .assert = $0 { true } else { false }
            }
        )
    }

    private var nextPC: Int32 { Int32(instructions.count) }

    @discardableResult
    private mutating func append(_ instruction: Instruction) throws(RegexSyntaxError) -> Int {
        guard instructions.count < Self.maxInstructions else {
            throw RegexSyntaxError(
                "pattern is too large: with its repetitions expanded it needs more than "
                    + "\(Self.maxInstructions) instructions; use smaller repetition counts")
        }
        instructions.append(instruction)
        return instructions.count - 1
    }

    /// One pending step of code generation. Generation runs from an explicit stack of
    /// these, not by recursion, so a deeply nested pattern needs no deep call stack.
    /// Labels name instructions whose targets are only known later.
    private enum Work {
        /// Emit the code for a node.
        case emit(Node)
        /// Append a placeholder instruction and remember its address under the label.
        case placeholder(label: Int)
        /// Remember the next instruction's address under the label.
        case mark(label: Int)
        /// Make the labelled placeholder `split(next to it, here)`.
        case patchSplitToHere(label: Int)
        /// Make the labelled placeholder `jump(here)`.
        case patchJumpToHere(label: Int)
        /// Append `split(labelled address, next instruction)`: loop back or go on.
        case splitBack(label: Int)
        /// Append `jump(labelled address)`.
        case jumpBack(label: Int)
    }

    private mutating func emit(_ root: Node) throws(RegexSyntaxError) {
        var labels: [Int] = []
        func newLabel() -> Int {
            labels.append(0)
            return labels.count - 1
        }
        var pending: [Work] = [.emit(root)]
        while let work = pending.popLast() {
            // Steps are pushed in reverse, so they run in the order written.
            var steps: [Work] = []
            switch work {
            case .emit(.empty):
                break
            case .emit(.set(let set)):
                if let scalar = set.singleScalar {
                    try append(.scalar(scalar))
                } else {
                    try append(.set(index(of: set)))
                }
            case .emit(.assertion(let assertion)):
                try append(.assert(assertion))
            case .emit(.concatenation(let nodes)):
                steps = nodes.map(Work.emit)
            case .emit(.alternation(let nodes)):
                // split(first, next split) first; jump end; split(second, …) …; last; end:
                let exits = nodes.dropLast().map { _ in newLabel() }
                for (node, exit) in zip(nodes, exits) {
                    let choice = newLabel()
                    steps += [
                        .placeholder(label: choice), .emit(node), .placeholder(label: exit),
                        .patchSplitToHere(label: choice),
                    ]
                }
                steps.append(.emit(nodes[nodes.count - 1]))
                steps += exits.map { .patchJumpToHere(label: $0) }
            case .emit(.repetition(let node, let min, nil)) where min == 0:
                // x*: loop: split(body, end); body: x; jump loop; end:
                let loop = newLabel()
                steps = [
                    .placeholder(label: loop), .emit(node), .jumpBack(label: loop), .patchSplitToHere(label: loop),
                ]
            case .emit(.repetition(let node, let min, nil)):
                // x{n,}: n-1 copies, then x+ as body: x; split(body, end); end:
                let body = newLabel()
                steps = Array(repeating: .emit(node), count: min - 1)
                steps += [.mark(label: body), .emit(node), .splitBack(label: body)]
            case .emit(.repetition(let node, let min, let max?)):
                // x{n,m}: n copies, then m-n optional copies that may each skip to the end.
                let skips = (min..<max).map { _ in newLabel() }
                steps = Array(repeating: .emit(node), count: min)
                for skip in skips { steps += [.placeholder(label: skip), .emit(node)] }
                steps += skips.map { .patchSplitToHere(label: $0) }
            case .placeholder(let label):
                labels[label] = try append(.jump(0))
            case .mark(let label):
                labels[label] = instructions.count
            case .patchSplitToHere(let label):
                instructions[labels[label]] = .split(Int32(labels[label] + 1), nextPC)
            case .patchJumpToHere(let label):
                instructions[labels[label]] = .jump(nextPC)
            case .splitBack(let label):
                try append(.split(Int32(labels[label]), nextPC + 1))
            case .jumpBack(let label):
                try append(.jump(Int32(labels[label])))
            }
            pending += steps.reversed()
        }
    }

    private mutating func index(of set: ScalarSet) -> Int32 {
        if let index = setIndices[set] { return index }
        let index = Int32(sets.count)
        sets.append(set)
        setIndices[set] = index
        return index
    }

    /// The scalars a match can begin with: those of every consuming instruction reachable
    /// from the start without consuming. Assertions are assumed to hold, which can only
    /// widen the set. Nil if `match` is reachable (a match may be empty) or if the set
    /// holds every scalar, since then nothing can be skipped.
    private func firstScalars() -> ScalarSet? {
        var visited = Set<Int>()
        var pending = [0]
        var first: [ClosedRange<UInt32>] = []
        while let pc = pending.popLast() {
            guard visited.insert(pc).inserted else { continue }
            switch instructions[pc] {
            case .scalar(let scalar): first.append(scalar...scalar)
            case .set(let index): first += sets[Int(index)].ranges
            case .match: return nil
            case .jump(let target): pending.append(Int(target))
            case .split(let one, let other): pending += [Int(one), Int(other)]
            case .assert: pending.append(pc + 1)
            }
        }
        let set = ScalarSet(first)
        return set == .all ? nil : set
    }
}
