@testable import CouchQueueRegex

/// Tallies how LinearRegex's answers compare with RE2's over many cases, and records every
/// disagreement that is not one of the documented deviations.
struct Comparison {
    private(set) var disagreements: [String] = []
    private(set) var comparedTexts = 0
    private(set) var matchedTexts = 0
    private(set) var refusedByBoth = 0
    private(set) var refusedByDesign = 0
    private(set) var tooLargeForRE2 = 0

    /// The first disagreements, for a failure message.
    var report: String {
        "\(disagreements.count) disagreements with RE2, first ones:\n\(disagreements.prefix(25).joined(separator: "\n"))"
    }

    mutating func compare(_ pattern: PatternGenerator.Pattern, texts: [String], with verdict: RE2Oracle.Verdict) {
        let source = pattern.source
        switch (verdict.error, Result { () throws(RegexSyntaxError) in try LinearRegex(source) }) {
        case (nil, .success(let regex)):
            for (text, expected) in zip(texts, verdict.matches ?? []) {
                comparedTexts += 1
                if expected { matchedTexts += 1 }
                if regex.matches(text) != expected,
                    !Self.isMidScalarNonBoundary(source, text: text, re2Matches: expected)
                {
                    disagreements.append("\(source.debugDescription) on \(text.debugDescription): RE2 says \(expected)")
                }
            }
        case (nil, .failure(let error)):
            if pattern.usesRefusedFeature, error.message.contains("not supported") {
                refusedByDesign += 1
            } else {
                disagreements.append("\(source.debugDescription): RE2 accepts it, LinearRegex refuses: \(error)")
            }
        case (let re2Error?, .success) where re2Error.contains("pattern too large"):
            // RE2 budgets its UTF-8 byte program, where \pL alone is hundreds of
            // instructions; LinearRegex budgets scalar instructions, so it accepts more.
            tooLargeForRE2 += 1
        case (let re2Error?, .success):
            disagreements.append("\(source.debugDescription): RE2 refuses it (\(re2Error)), LinearRegex accepts it")
        case (_?, .failure):
            refusedByBoth += 1
        }
    }

    /// RE2 searches UTF-8 bytes, so it also tries positions inside a multi-byte scalar,
    /// where `\B` holds (both neighbouring bytes are non-word). A pattern that can match
    /// the empty string where only `\B` holds therefore matches, in RE2, any text with a
    /// non-ASCII scalar; LinearRegex searches scalar positions only, like Go's regexp.
    /// `\A!(?:P)!\z` matching "!!" means P matches empty between two non-word scalars
    /// with no other assertion holding: exactly that case.
    static func isMidScalarNonBoundary(_ pattern: String, text: String, re2Matches: Bool) -> Bool {
        guard re2Matches, text.unicodeScalars.contains(where: { !$0.isASCII }),
            let probe = try? LinearRegex(#"\A!(?:"# + pattern + #")!\z"#)
        else { return false }
        return probe.matches("!!")
    }
}
