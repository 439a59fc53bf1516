/// A compiled pattern: the instructions plus facts that let the VM skip work.
struct Program: Sendable {
    let instructions: [Instruction]
    let sets: [CompiledSet]
    /// Every match starts at the beginning of the text (`\A…`, or `^…` without `(?m)`),
    /// so no new thread is started after the first position.
    let isAnchoredAtStart: Bool
    /// UTF-8 of the scalars every match begins with. While no thread is alive the VM jumps
    /// to the next place this occurs instead of stepping scalar by scalar.
    let requiredPrefix: SubstringSearch
    /// The scalars a match can begin with, when that is known to be a proper subset and
    /// no match is empty: while no thread is alive the VM skips other scalars.
    let firstScalars: CompiledSet?
    /// The pattern is exactly `requiredPrefix`, so a substring search decides it.
    let isLiteral: Bool
    /// Whether any instruction is an assertion; if not, the VM skips computing the
    /// per-position context.
    let usesAssertions: Bool
}
