/// Runs a program over a text as a Pike VM: every possible NFA thread advances in lockstep,
/// one scalar at a time, with at most one thread per instruction. Work is therefore
/// bounded by (text length + 1) × 2 × program size, whatever the pattern — there is no
/// backtracking to blow up.
///
/// Each search takes O(program size) scratch memory (on the stack when small) and nothing
/// per scalar, and shares no mutable state, so one program serves any number of threads.
struct PikeVM {
    let program: Program

    /// Whether the program matches somewhere in `text`, and the VM steps it took (each
    /// instruction visit counts one; for a literal, each byte compared), which tests use to
    /// show the work is linear.
    func search(_ text: String) -> (matched: Bool, steps: Int) {
        var text = text
        return text.withUTF8 { bytes in
            let text = UTF8Text(bytes: bytes)
            if program.isLiteral {
                var comparisons = 0
                let found = text.firstOccurrence(of: program.requiredPrefix, from: 0, comparisons: &comparisons)
                return (found != nil, comparisons)
            }
            return withUnsafeTemporaryAllocation(of: Int.self, capacity: 4 * program.instructions.count) { scratch in
                scratch.initialize(repeating: 0)
                return program.instructions.withUnsafeBufferPointer { instructions in
                    run(text, instructions: instructions, scratch: scratch.baseAddress!)
                }
            }
        }
    }

    /// The search proper. `scratch` holds 4 × program size zeroed integers: the closure's
    /// marks and stack, and the two thread lists.
    private func run(
        _ text: UTF8Text, instructions: UnsafeBufferPointer<Instruction>, scratch: UnsafeMutablePointer<Int>
    ) -> (matched: Bool, steps: Int) {
        let size = instructions.count
        let closure = EpsilonClosure(instructions: instructions, marks: scratch, stack: scratch + size)
        var current = ThreadList(storage: scratch + 2 * size)
        var next = ThreadList(storage: scratch + 3 * size)
        var steps = 0
        // Marks equal to `generation` belong to the current position; see EpsilonClosure.
        var generation = 1
        var position = 0
        var previous = UTF8Text.none
        func context(at offset: Int, after scalar: UInt32) -> Assertion {
            program.usesAssertions ? text.context(at: offset, previous: scalar) : []
        }
        while true {
            if current.count == 0, position > 0 || !program.isAnchoredAtStart {
                // No thread is alive, so only one started from here on can match.
                guard !program.isAnchoredAtStart, let start = nextPossibleStart(in: text, from: position) else {
                    return (false, steps)
                }
                if start != position {
                    position = start
                    previous = text.scalar(before: start)
                    generation += 1
                }
            }
            // A new thread starts at every position (unanchored search), or only the first.
            if position == 0 || !program.isAnchoredAtStart {
                let here = context(at: position, after: previous)
                if closure.add(0, to: &current, generation: generation, context: here, steps: &steps) {
                    return (true, steps)
                }
            }
            guard position < text.count else { return (false, steps) }
            let (scalar, length) = text.scalar(at: position)
            generation += 1
            let there = context(at: position + length, after: scalar)
            next.removeAll()
            for index in 0..<current.count {
                let pc = current[index]
                steps += 1
                if consumes(instructions[pc], scalar),
                    closure.add(pc + 1, to: &next, generation: generation, context: there, steps: &steps)
                {
                    return (true, steps)
                }
            }
            swap(&current, &next)
            previous = scalar
            position += length
        }
    }

    /// Where the next match can start, at or after `position`, when no thread is alive: at
    /// the next occurrence of the required prefix, or else at the next scalar that can
    /// begin a match. Nil if there is no such place, so there is no match.
    private func nextPossibleStart(in text: UTF8Text, from position: Int) -> Int? {
        if !program.requiredPrefix.needle.isEmpty {
            var comparisons = 0  // not VM steps: within the bound the VM's own steps set
            return text.firstOccurrence(of: program.requiredPrefix, from: position, comparisons: &comparisons)
        }
        guard let firstScalars = program.firstScalars else { return position }
        var offset = position
        while offset < text.count {
            let (scalar, length) = text.scalar(at: offset)
            if firstScalars.contains(scalar) { return offset }
            offset += length
        }
        return nil
    }

    @inline(__always)
    private func consumes(_ instruction: Instruction, _ scalar: UInt32) -> Bool {
        switch instruction {
        case .scalar(let expected): expected == scalar
        case .set(let index): program.sets[Int(index)].contains(scalar)
        case .split, .jump, .assert, .match: false
        }
    }
}
