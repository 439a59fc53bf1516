extension Parser {
    /// Parses `(` and what may follow it: `(?:`, `(?P<name>`, `(?<name>`, flags such as
    /// `(?i)` or `(?i-s:`, and refuses, with a reason, the Perl syntax RE2 lacks.
    mutating func parseGroupOpening() throws(RegexSyntaxError) {
        let open = position
        guard peek(1) == "?" else {
            openGroup(savingFlags: flags, at: open)
            position += 1
            return
        }
        switch (peek(2), peek(3)) {
        case ("=", _), ("!", _):
            throw error(
                "lookahead assertions such as \(text(open..<open + 3)) are not supported (RE2 syntax)", at: open)
        case ("<", "="), ("<", "!"):
            throw error(
                "lookbehind assertions such as \(text(open..<open + 4)) are not supported (RE2 syntax)", at: open)
        case ("P", "="), ("P", ">"):
            throw error(
                "named backreferences and recursion such as \(text(open..<open + 4)) are not supported (RE2 syntax)",
                at: open)
        case ("#", _):
            throw error("comments (?#…) are not supported (RE2 syntax)", at: open)
        case ("P", "<"):
            try parseNamedGroup(nameStart: open + 4)
        case ("<", _):
            try parseNamedGroup(nameStart: open + 3)
        default:
            try parseFlags()
        }
    }

    /// `(?P<name>` or `(?<name>`. Names use letters, marks, digits and `_` (RE2 accepts
    /// Unicode ones too); RE2 accepts repeated names, so they are not checked for clashes.
    private mutating func parseNamedGroup(nameStart: Int) throws(RegexSyntaxError) {
        let open = position
        guard let close = scalars[nameStart...].firstIndex(of: ">") else {
            throw error("missing > after the group name in \(text(open..<scalars.count))", at: open)
        }
        let name = scalars[nameStart..<close]
        guard !name.isEmpty, name.allSatisfy(Self.isCaptureNameScalar) else {
            throw error("invalid group name in \(text(open..<close + 1))", at: open, hint: "use letters, digits and _")
        }
        openGroup(savingFlags: flags, at: open)
        position = close + 1
    }

    private static func isCaptureNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .letterNumber, .nonspacingMark, .spacingMark, .decimalNumber, .connectorPunctuation:
            true
        default:
            false
        }
    }

    /// `(?flags)` sets flags until the enclosing group closes; `(?flags:` opens a group
    /// with them. Flags are `i` (case-insensitive), `m` (multi-line `^ $`), `s` (`.`
    /// matches `\n`) and `U` (swap greediness, which cannot change whether text matches).
    private mutating func parseFlags() throws(RegexSyntaxError) {
        let open = position
        var newFlags = flags
        var negated = false
        var sawFlag = false
        position += 2
        while true {
            guard let scalar = peek() else {
                throw error("missing ) or : after the flags in \(text(open..<scalars.count))", at: open)
            }
            position += 1
            switch scalar {
            case "i": newFlags.caseInsensitive = !negated
            case "m": newFlags.multiline = !negated
            case "s": newFlags.dotAll = !negated
            case "U": break
            case "-" where !negated:
                negated = true
                sawFlag = false
                continue
            case ":", ")":
                guard !negated || sawFlag else {
                    throw error("missing flags after - in \(text(open..<position))", at: open, hint: "write e.g. (?-i)")
                }
                if scalar == ":" { openGroup(savingFlags: flags, at: open) }
                flags = newFlags
                return
            default:
                throw error(
                    "invalid or unsupported group syntax \(text(open..<position))", at: open,
                    hint: "RE2 allows (?:…), (?P<name>…), (?<name>…) and the flags i, m, s, U")
            }
            sawFlag = true
        }
    }
}
