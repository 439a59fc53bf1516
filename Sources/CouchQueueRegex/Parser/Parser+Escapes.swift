extension Parser {
    /// Parses a `\` sequence outside brackets: `\Q…\E`, an assertion, a class or a literal.
    mutating func parseEscape() throws(RegexSyntaxError) {
        switch peek(1) {
        case "Q":
            parseQuotedLiteral()
        case "A", "z", "b", "B":
            let assertions: [Unicode.Scalar: Assertion] = [
                "A": .beginText, "z": .endText, "b": .wordBoundary, "B": .notWordBoundary,
            ]
            push(.assertion(assertions[scalars[position + 1]]!))
            position += 2
        case "C":
            throw error("\\C (any byte) is not supported", at: position, hint: "use . to match any character")
        case "p", "P":
            push(.set(try parseUnicodeClass()))
        case let letter? where ASCIIClasses.perl(letter) != nil:
            push(.set(try parsePerlClass()))
        default:
            pushLiteral(try parseLiteralEscape())
        }
    }

    /// `\Q…\E`: everything up to `\E` (or the end of the pattern) is literal.
    private mutating func parseQuotedLiteral() {
        position += 2
        while position < scalars.count {
            if scalars[position] == "\\", peek(1) == "E" {
                position += 2
                return
            }
            pushLiteral(scalars[position].value)
            position += 1
        }
    }

    /// `\d \s \w` and their negations, at `position`.
    mutating func parsePerlClass() throws(RegexSyntaxError) -> ScalarSet {
        let (set, negated) = ASCIIClasses.perl(scalars[position + 1])!
        position += 2
        return namedClass(set, negated: negated)
    }

    /// `\pL`, `\p{Lu}`, `\p{^Lu}`, `\PL`, `\p{Any}` at `position`.
    mutating func parseUnicodeClass() throws(RegexSyntaxError) -> ScalarSet {
        let start = position
        var negated = scalars[position + 1] == "P"
        position += 2
        var name: String
        switch peek() {
        case nil:
            throw error("\\p without a class name", at: start, hint: "write one such as \\pL or \\p{Lu}")
        case "{":
            guard let close = scalars[position...].firstIndex(of: "}") else {
                throw error("missing closing } in \(text(start..<scalars.count))", at: start)
            }
            name = text(position + 1..<close)
            position = close + 1
        case let letter?:
            name = String(letter)
            position += 1
        }
        if name.hasPrefix("^") {
            negated.toggle()
            name.removeFirst()
        }
        guard let set = GeneralCategories.scalars(named: name) else {
            throw error(
                "unknown Unicode class \(text(start..<position))", at: start,
                hint: "use a general category such as \\p{L} or \\p{Lu}, or \\p{Any} "
                    + "(script names such as \\p{Greek} are not supported)")
        }
        return namedClass(set, negated: negated)
    }

    /// A named class under the current flags. RE2 folds case before negating, so under
    /// `(?i)` `\W` excludes U+017F (ſ) and U+212A (K) because they fold into `\w`.
    func namedClass(_ set: ScalarSet, negated: Bool) -> ScalarSet {
        let folded = flags.caseInsensitive ? set.caseFolded() : set
        return negated ? folded.inverted() : folded
    }

    /// A `\` escape that stands for one scalar (valid both inside and outside brackets):
    /// octal, hex, `\a \f \n \r \t \v`, or escaped ASCII punctuation.
    mutating func parseLiteralEscape() throws(RegexSyntaxError) -> UInt32 {
        let start = position
        guard let escaped = peek(1) else {
            throw error("trailing \\", at: start, hint: "write a literal backslash as \\\\")
        }
        position += 2
        switch escaped {
        case "0":
            return parseOctal(first: escaped)
        case "1"..."7" where peek().map(Self.isOctalDigit) ?? false:
            // A lone \1 would be a backreference; followed by an octal digit it is octal.
            return parseOctal(first: escaped)
        case "1"..."9", "k", "g":
            throw error("backreferences such as \\\(escaped) are not supported (RE2 syntax)", at: start)
        case "x":
            return try parseHex(escapeStart: start)
        case "a": return 0x07
        case "f": return 0x0C
        case "n": return 0x0A
        case "r": return 0x0D
        case "t": return 0x09
        case "v": return 0x0B
        case "Z":
            throw error("\\Z is not supported (RE2 syntax)", at: start, hint: "use \\z for the end of the text")
        default:
            guard escaped.isASCII, !escaped.properties.isAlphabetic, !("0"..."9").contains(escaped) else {
                throw error("invalid escape sequence \(text(start..<position))", at: start)
            }
            return escaped.value
        }
    }

    private static func isOctalDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."7").contains(scalar) }

    /// Up to three octal digits in all, the first already read (`\0`, `\12`, `\177`).
    private mutating func parseOctal(first: Unicode.Scalar) -> UInt32 {
        var value = first.value - 0x30
        for _ in 0..<2 {
            guard let digit = peek(), Self.isOctalDigit(digit) else { break }
            value = value * 8 + digit.value - 0x30
            position += 1
        }
        return value
    }

    /// `\xHH` (exactly two digits) or `\x{H…}` (any number, up to U+10FFFF).
    private mutating func parseHex(escapeStart start: Int) throws(RegexSyntaxError) -> UInt32 {
        guard peek() == "{" else {
            guard let high = peek().flatMap(Self.hexValue), let low = peek(1).flatMap(Self.hexValue) else {
                throw invalidHex(escapeStart: start)
            }
            position += 2
            return high * 16 + low
        }
        position += 1
        var value: UInt32 = 0
        var digits = 0
        while let digit = peek().flatMap(Self.hexValue) {
            value = value * 16 + digit
            digits += 1
            guard value <= ScalarSet.maxScalar else { throw invalidHex(escapeStart: start) }
            position += 1
        }
        guard digits > 0, peek() == "}" else { throw invalidHex(escapeStart: start) }
        position += 1
        return value
    }

    private func invalidHex(escapeStart start: Int) -> RegexSyntaxError {
        error(
            "invalid escape sequence \(text(start..<position + 1))", at: start,
            hint: "use \\xHH or \\x{H…} up to \\x{10FFFF}")
    }

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar {
        case "0"..."9": scalar.value - 0x30
        case "a"..."f": scalar.value - 0x61 + 10
        case "A"..."F": scalar.value - 0x41 + 10
        default: nil
        }
    }
}
