extension Parser {
    /// RE2's largest repeat count. Nested counts may not multiply past it either, which is
    /// what refuses `(a{1000}){1000}` before it can be expanded.
    static let maxRepeat = 1000

    /// Parses `*`, `+`, `?`, `{n}`, `{n,}` or `{n,m}`, each optionally lazy (`*?`), and
    /// applies it to the last piece. A `{` that does not start a well-formed count is a
    /// literal, as in RE2. Returns whether a repetition operator was parsed.
    mutating func parseRepetition() throws(RegexSyntaxError) -> Bool {
        let start = position
        let bounds: (min: Int, max: Int?)
        switch scalars[position] {
        case "*": bounds = (0, nil)
        case "+": bounds = (1, nil)
        case "?": bounds = (0, 1)
        default:
            guard let count = parseCount() else {
                pushLiteral(scalars[position].value)
                position += 1
                return false
            }
            bounds = count
        }
        if scalars[start] != "{" { position += 1 }
        if peek() == "?" { position += 1 }
        try applyRepetition(bounds, operatorRange: start..<position)
        return true
    }

    private mutating func applyRepetition(_ bounds: (min: Int, max: Int?), operatorRange: Range<Int>)
        throws(RegexSyntaxError)
    {
        let operatorText = text(operatorRange)
        if let previous = previousRepetitionStart {
            let stacked = text(previous..<operatorRange.upperBound)
            throw error(
                "bad repetition operator \(stacked)", at: previous, hint: "repetition operators cannot be stacked")
        }
        let isCounted = scalars[operatorRange.lowerBound] == "{"
        let largest = bounds.max ?? bounds.min
        if isCounted, bounds.min > Self.maxRepeat || largest > Self.maxRepeat || largest < bounds.min {
            throw error(
                "invalid repetition size \(operatorText)", at: operatorRange.lowerBound,
                hint: "counts must be at most \(Self.maxRepeat), minimum first")
        }
        let last = groups.count - 1
        guard let operand = groups[last].items.popLast() else {
            throw error("missing argument to repetition operator \(operatorText)", at: operatorRange.lowerBound)
        }
        let count = isCounted ? max(largest, 1) : 1
        let repeated = Term(
            node: .repetition(operand.node, min: bounds.min, max: bounds.max),
            height: operand.height + 1,
            countProduct: operand.countProduct * count
        )
        guard repeated.countProduct <= Self.maxRepeat else {
            throw error(
                "invalid repetition size \(operatorText)", at: operatorRange.lowerBound,
                hint: "nested counts multiply to more than \(Self.maxRepeat)")
        }
        try checkNesting(repeated)
        groups[last].items.append(repeated)
    }

    /// Parses `{n}`, `{n,}` or `{n,m}` at `position` and moves past it; nil (without moving)
    /// if the text there is not one, in which case RE2 reads the `{` as a literal.
    private mutating func parseCount() -> (min: Int, max: Int?)? {
        var index = position + 1
        guard let min = parseInteger(&index), index < scalars.count else { return nil }
        var max: Int? = min
        if scalars[index] == "," {
            index += 1
            guard index < scalars.count else { return nil }
            if scalars[index] == "}" {
                max = nil
            } else {
                guard let upper = parseInteger(&index) else { return nil }
                max = upper
            }
        }
        guard index < scalars.count, scalars[index] == "}" else { return nil }
        position = index + 1
        return (min, max)
    }

    /// A decimal count as RE2 reads it: no leading zeros, and at most nine digits (larger
    /// values make the whole `{…}` a literal rather than an error, as in RE2).
    private func parseInteger(_ index: inout Int) -> Int? {
        let digits = scalars[index...].prefix { ("0"..."9").contains($0) }
        guard !digits.isEmpty, digits.first != "0" || digits.count == 1, digits.count <= 9 else { return nil }
        index += digits.count
        return digits.reduce(0) { $0 * 10 + Int($1.value - 0x30) }
    }
}
