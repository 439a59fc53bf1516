extension Parser {
    /// Parses `[…]` at `position`, following RE2's rules: `]` first is a literal, `-` is a
    /// literal where it cannot form a range, `[:name:]` is a POSIX class, and `\d`, `\pL`
    /// and escapes work inside. Under `(?i)` each item is widened to its case variants
    /// before a leading `^` negates the whole class.
    mutating func parseBracketClass() throws(RegexSyntaxError) -> ScalarSet {
        let open = position
        position += 1
        let negated = peek() == "^"
        if negated { position += 1 }
        var members = ScalarSet()
        var isFirst = true
        while true {
            guard let scalar = peek() else {
                throw error("missing closing ] for the class opened", at: open)
            }
            if scalar == "]", !isFirst {
                position += 1
                break
            }
            isFirst = false
            if let posix = try parsePOSIXClass() {
                members.formUnion(posix)
            } else if scalar == "\\", peek(1) == "p" || peek(1) == "P" {
                members.formUnion(try parseUnicodeClass())
            } else if scalar == "\\", let letter = peek(1), ASCIIClasses.perl(letter) != nil {
                members.formUnion(try parsePerlClass())
            } else {
                let range = ScalarSet([try parseClassRange(classStart: open)])
                members.formUnion(flags.caseInsensitive ? range.caseFolded() : range)
            }
        }
        return negated ? members.inverted() : members
    }

    /// `[:alpha:]` or `[:^alpha:]` at `position`; nil if no `:]` follows. As in RE2 the
    /// closing `:]` is looked for anywhere later, so `[[:x]y:]` is an unknown name, not a
    /// class of `[`, `:`, `x`.
    private mutating func parsePOSIXClass() throws(RegexSyntaxError) -> ScalarSet? {
        guard peek() == "[", peek(1) == ":" else { return nil }
        var close = position + 2
        while close + 1 < scalars.count, !(scalars[close] == ":" && scalars[close + 1] == "]") { close += 1 }
        guard close + 1 < scalars.count else { return nil }
        var name = text(position + 2..<close)
        let negated = name.hasPrefix("^")
        if negated { name.removeFirst() }
        guard let set = ASCIIClasses.posix(name) else {
            throw error(
                "unknown POSIX class \(text(position..<close + 2))", at: position,
                hint: "use one such as [:alpha:], [:digit:] or [:space:]")
        }
        position = close + 2
        return namedClass(set, negated: negated)
    }

    /// A single scalar or an `a-z` range. `-` followed by `]` is not a range, so `[a-]`
    /// holds `a` and `-`.
    private mutating func parseClassRange(classStart: Int) throws(RegexSyntaxError) -> ClosedRange<UInt32> {
        let start = position
        let low = try parseClassCharacter(classStart: classStart)
        guard peek() == "-", let after = peek(1), after != "]" else { return low...low }
        position += 1
        let high = try parseClassCharacter(classStart: classStart)
        guard low <= high else {
            throw error(
                "invalid character class range \(text(start..<position))", at: start, hint: "the end is below the start"
            )
        }
        return low...high
    }

    private mutating func parseClassCharacter(classStart: Int) throws(RegexSyntaxError) -> UInt32 {
        guard let scalar = peek() else {
            throw error("missing closing ] for the class opened", at: classStart)
        }
        if scalar == "\\" { return try parseLiteralEscape() }
        position += 1
        return scalar.value
    }
}
