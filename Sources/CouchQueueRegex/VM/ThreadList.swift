/// The threads alive at one text position: program counters of instructions that consume
/// a scalar. Storage is borrowed from the search's scratch buffer; duplicates are kept out
/// by `EpsilonClosure`'s marks, so the list never holds more than one entry per instruction.
struct ThreadList {
    private let storage: UnsafeMutablePointer<Int>
    private(set) var count = 0

    init(storage: UnsafeMutablePointer<Int>) {
        self.storage = storage
    }

    subscript(index: Int) -> Int { storage[index] }

    mutating func append(_ pc: Int) {
        storage[count] = pc
        count += 1
    }

    mutating func removeAll() { count = 0 }
}

/// Follows jumps, splits and assertions from a program counter to the instructions that
/// consume a scalar, at one text position.
///
/// `marks[pc] == generation` records that `pc` was reached at the current position, so each
/// instruction is visited at most once per position however many paths lead to it: this
/// is what keeps the work linear (no exponential blow-up on `(a*)*`, no infinite loop on
/// empty repetitions). Uses an explicit stack, never recursion.
struct EpsilonClosure {
    let instructions: UnsafeBufferPointer<Instruction>
    let marks: UnsafeMutablePointer<Int>
    let stack: UnsafeMutablePointer<Int>

    /// Adds the threads reachable from `start` to `list`; true if `match` is reachable.
    func add(_ start: Int, to list: inout ThreadList, generation: Int, context: Assertion, steps: inout Int) -> Bool {
        var depth = 0
        @inline(__always) func push(_ pc: Int) {
            if marks[pc] != generation {
                marks[pc] = generation
                stack[depth] = pc
                depth += 1
            }
        }
        push(start)
        while depth > 0 {
            depth -= 1
            let pc = stack[depth]
            steps += 1
            switch instructions[pc] {
            case .scalar, .set:
                list.append(pc)
            case .match:
                return true
            case .jump(let target):
                push(Int(target))
            case .split(let first, let second):
                push(Int(second))
                push(Int(first))
            case .assert(let assertion):
                if context.contains(assertion) { push(pc + 1) }
            }
        }
        return false
    }
}
