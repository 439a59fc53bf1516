import Testing

@testable import CouchQueueRegex

/// Expects `pattern` to compile, to match every text in `matching` and none in `notMatching`.
func expectMatches(
    _ pattern: String, _ matching: [String], not notMatching: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        let regex = try LinearRegex(pattern)
        for text in matching {
            #expect(
                regex.matches(text), "\(pattern.debugDescription) should match \(text.debugDescription)",
                sourceLocation: sourceLocation)
        }
        for text in notMatching {
            #expect(
                !regex.matches(text), "\(pattern.debugDescription) should not match \(text.debugDescription)",
                sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("\(pattern.debugDescription) was refused: \(error)", sourceLocation: sourceLocation)
    }
}

/// Expects `pattern` to be refused with a message containing `fragment`.
func expectRefused(_ pattern: String, saying fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try LinearRegex(pattern)
        Issue.record("\(pattern.debugDescription) was accepted", sourceLocation: sourceLocation)
    } catch {
        #expect(
            error.message.contains(fragment),
            "\(pattern.debugDescription) was refused with \(error.message.debugDescription)",
            sourceLocation: sourceLocation)
    }
}

/// The syntax tree for `pattern`, or nil (with an issue recorded) if it is refused.
func parsed(_ pattern: String, sourceLocation: SourceLocation = #_sourceLocation) -> Node? {
    do {
        return try Parser.parse(pattern)
    } catch {
        Issue.record("\(pattern.debugDescription) was refused: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A literal node, as the parser builds one.
func literal(_ scalar: Unicode.Scalar) -> Node {
    .set(ScalarSet(scalar.value))
}

/// A class node over the given scalars.
func oneOf(_ scalars: Unicode.Scalar...) -> Node {
    .set(ScalarSet(scalars.map { $0.value...$0.value }))
}
